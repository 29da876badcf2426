package dev.keel.registry;

/** The registry contract on the embedded default: a folder with an SQLite database and the artifacts. */
class SqliteRegistryTest extends RegistryContract {
    @Override
    JdbcModelRegistry create() {
        return JdbcModelRegistry.builder().location(work.resolve("registry").toString())
                .pollInterval(java.time.Duration.ofMillis(50)).build();
    }

    @Override
    JdbcModelRegistry reopen() {
        return create();
    }
}
