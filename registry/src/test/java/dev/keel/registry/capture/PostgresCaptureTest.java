package dev.keel.registry.capture;

import dev.keel.registry.EmbeddedPostgres;

/** The capture contract on a real PostgreSQL server (a new database per test). */
class PostgresCaptureTest extends CaptureContract {
    @Override
    String newLocation() {
        return EmbeddedPostgres.newDatabase();
    }
}
