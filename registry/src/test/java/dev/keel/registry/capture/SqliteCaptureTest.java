package dev.keel.registry.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.monitor.Feedback;
import dev.keel.registry.JdbcModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The capture contract on SQLite files, plus what only a file-based store can get wrong. */
class SqliteCaptureTest extends CaptureContract {
    private final AtomicInteger n = new AtomicInteger();

    @Override
    String newLocation() {
        return work.resolve("capture-" + n.incrementAndGet() + ".db").toString();
    }

    @Test
    void a_file_that_is_not_sqlite_is_refused_and_left_as_it_was() throws Exception {
        Path notes = Files.writeString(work.resolve("notes.db"), "shopping list\n");
        assertThatThrownBy(() -> JdbcCaptureStore.open(notes.toString())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not an SQLite database");
        assertThat(Files.readString(notes)).isEqualTo("shopping list\n");
    }

    @Test
    void the_log_can_live_in_the_registrys_database_beside_its_tables() {
        Path folder = work.resolve("registry");
        try (JdbcModelRegistry registry = JdbcModelRegistry.open(folder);
             JdbcCaptureStore capture = JdbcCaptureStore.open(folder.toString())) {
            capture.record(Feedback.thumbsUp("x"));
            assertThat(registry.database().tables()).contains("keel_registry_versions", "keel_capture_calls",
                    "keel_capture_feedback", "keel_capture_schema_history");
            assertThat(capture.feedback(CaptureFilter.all())).hasSize(1);
        }
    }
}
