package dev.keel.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The registry contract on a real PostgreSQL server, artifacts in a shared folder. */
class PostgresRegistryTest extends RegistryContract {
    private String url;

    @Override
    JdbcModelRegistry create() {
        url = EmbeddedPostgres.newDatabase();
        return JdbcModelRegistry.builder().location(url).artifacts(work.resolve("artifacts"))
                .pollInterval(java.time.Duration.ofMillis(50)).build();
    }

    /** The second handle names no artifact root: the first open recorded it in the database. */
    @Override
    JdbcModelRegistry reopen() {
        return JdbcModelRegistry.builder().location(url).pollInterval(java.time.Duration.ofMillis(50)).build();
    }

    @Test
    void the_artifact_root_given_on_first_open_is_remembered_for_every_later_host() {
        try (JdbcModelRegistry other = reopen()) {
            assertThat(other.artifactRoot()).isEqualTo(registry.artifactRoot());
        }
    }
}
