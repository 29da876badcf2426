package dev.keel.runtime.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Feedback;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteFeedbackStoreTest {
    @TempDir
    Path dir;

    @Test
    void feedback_survives_closing_and_reopening_the_store() {
        Path db = dir.resolve("feedback.db");
        Instant t0 = Instant.parse("2026-11-28T10:00:00Z");
        try (SqliteFeedbackStore store = SqliteFeedbackStore.open(db)) {
            store.record(new Feedback("inf-1", Feedback.Kind.THUMBS_UP, null, Double.NaN, t0));
            store.record(new Feedback("inf-2", Feedback.Kind.LABEL, "positive", Double.NaN, t0.plusSeconds(60)));
            store.record(new Feedback("inf-2", Feedback.Kind.SCORE, null, 4.5, t0.plusSeconds(120)));
        }
        try (SqliteFeedbackStore store = SqliteFeedbackStore.open(db)) {
            List<Feedback> all = store.since(Instant.EPOCH);
            assertThat(all).hasSize(3);
            assertThat(all.get(0).kind()).isEqualTo(Feedback.Kind.THUMBS_UP);
            assertThat(all.get(0).score()).isNaN();
            assertThat(all.get(1).value()).isEqualTo("positive");
            assertThat(all.get(2).score()).isEqualTo(4.5);
            assertThat(store.since(t0.plusSeconds(61))).hasSize(1);
            assertThat(store.forInference("inf-2")).hasSize(2);
        }
    }

    @Test
    void concurrent_writers_lose_nothing() throws Exception {
        try (SqliteFeedbackStore store = SqliteFeedbackStore.open(dir.resolve("f.db"))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        store.record(Feedback.thumbsDown("t" + thread + "-" + i));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            assertThat(store.since(Instant.EPOCH)).hasSize(200);
        }
    }

    @Test
    void a_file_that_is_not_a_database_is_refused_and_left_untouched() throws IOException {
        Path notDb = dir.resolve("notes.db");
        Files.writeString(notDb, "shopping list: eggs, milk, and more text than a database header would hold");
        byte[] before = Files.readAllBytes(notDb);
        assertThatThrownBy(() -> SqliteFeedbackStore.open(notDb))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(notDb.toString());
        assertThat(Files.readAllBytes(notDb)).isEqualTo(before);
    }
}
