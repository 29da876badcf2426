package dev.keel.registry.capture;

import dev.keel.registry.EmbeddedPostgres;

/** {@link CaptureCrashContract} on a real PostgreSQL server (the child connects over TCP). */
class PostgresCaptureCrashTest extends CaptureCrashContract {
    private String url;

    @Override
    String location() {
        if (url == null) {
            url = EmbeddedPostgres.newDatabase();
        }
        return url;
    }
}
