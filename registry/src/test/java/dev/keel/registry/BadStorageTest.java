package dev.keel.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.registry.db.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locations that are not a Keel registry are refused with the fix in the message, and nothing is changed. */
class BadStorageTest {
    @TempDir
    Path dir;

    @Test
    void a_file_that_is_not_an_sqlite_database_is_refused_and_left_as_it_was() throws Exception {
        Path file = Files.writeString(dir.resolve("keel.db"), "these are my notes");
        assertThatThrownBy(() -> JdbcModelRegistry.open(dir.toString())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not an SQLite database").hasMessageContaining("new folder");
        assertThat(Files.readString(file)).isEqualTo("these are my notes");
        assertThat(dir).isDirectoryContaining(p -> p.equals(file)).satisfies(d -> assertThat(Files.list(d).count()).isEqualTo(1));
    }

    @Test
    void an_sqlite_database_of_another_application_is_refused_without_adding_tables() throws Exception {
        Path file = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
        }
        assertThatThrownBy(() -> JdbcModelRegistry.open("jdbc:sqlite:" + file)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not Keel's").hasMessageContaining("customers");
        try (Database db = Database.sqlite(file)) {
            assertThat(db.tables()).containsExactly("customers");
        }
    }

    @Test
    void a_folder_holding_other_files_is_not_taken_for_a_new_registry() throws Exception {
        Path model = TestModels.pretrained(dir.resolve("model"), 1);
        assertThatThrownBy(() -> JdbcModelRegistry.open(model)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is not a Keel registry").hasMessageContaining("config.json")
                .hasMessageContaining("empty or new folder");
        assertThat(model.resolve(Database.SQLITE_FILE)).doesNotExist();
        assertThat(model.resolve("artifacts")).doesNotExist();
    }

    @Test
    void malformed_unreachable_and_unsupported_jdbc_urls_are_refused_with_the_expected_form() {
        assertThatThrownBy(() -> JdbcModelRegistry.open("jdbc:postgresql://localhost:notaport/keel"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("jdbc:postgresql://HOST:PORT/DATABASE");
        assertThatThrownBy(() -> JdbcModelRegistry.open("jdbc:postgresql://127.0.0.1:1/keel?user=u&password=secret"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("cannot connect")
                .hasMessageContaining("password=***").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> JdbcModelRegistry.open("jdbc:mysql://localhost/keel"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not supported")
                .hasMessageContaining("jdbc:postgresql://");
    }

    @Test
    void a_postgresql_registry_without_an_artifact_root_says_how_to_give_one() {
        String url = EmbeddedPostgres.newDatabase();
        assertThatThrownBy(() -> JdbcModelRegistry.open(url)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("--artifacts DIR").hasMessageContaining(JdbcModelRegistry.ARTIFACTS_ENV);
        try (JdbcModelRegistry r = JdbcModelRegistry.open(url + "&" + JdbcModelRegistry.ARTIFACTS_PARAMETER + "="
                + dir.resolve("shared"))) {
            assertThat(r.artifactRoot()).isEqualTo(dir.resolve("shared").toAbsolutePath());
            assertThat(r.location()).doesNotContain(JdbcModelRegistry.ARTIFACTS_PARAMETER);
        }
    }

    @Test
    void another_component_adds_its_own_tables_and_history_to_the_registry_database() {
        try (JdbcModelRegistry r = JdbcModelRegistry.open(dir.resolve("reg"))) {
            r.database().migrate("testlog", "dev/keel/registry/testmigration");
            assertThat(r.database().tables()).contains("keel_testlog_schema_history", "keel_testlog_calls",
                    "keel_registry_schema_history", "keel_registry_versions");
            r.register("m", TestModels.pretrained(dir.resolve("src"), 1));
        }
        try (JdbcModelRegistry r = JdbcModelRegistry.open(dir.resolve("reg"))) {
            r.database().migrate("testlog", "dev/keel/registry/testmigration"); // applied once, then up to date
            assertThat(r.versions("m")).hasSize(1);
        }
    }
}
