package dev.keel.registry.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.StoredFeedback;
import dev.keel.registry.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes killed with SIGKILL in the middle of a burst of writes: after a restart every feedback write
 * that had returned is there, and every captured call that a returned {@code flush()} covered is there (calls
 * accepted after the last flush are the ones at risk: they were in the queue). Runs on SQLite and PostgreSQL.
 */
abstract class CaptureCrashContract {
    @TempDir
    Path work;

    /** A new store's location (the same for the whole test). */
    abstract String location();

    private ChildProcess child(String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = location();
        System.arraycopy(args, 0, all, 1, args.length);
        return ChildProcess.start(Files.createTempFile(work, "child", ".err"), null, CaptureChild.class, all);
    }

    @Test
    void every_feedback_write_that_returned_survives_a_kill_during_a_burst() throws Exception {
        int confirmed;
        try (ChildProcess c = child("feedback")) {
            c.await("OPEN");
            String last = "";
            for (int i = 0; i < 300; i++) {
                last = c.await("OK ");
            }
            c.kill();
            // lines still buffered in the pipe were printed after their write returned too
            confirmed = (int) c.lines().stream().filter(l -> l.startsWith("OK ")).count();
            assertThat(last).isEqualTo("OK f299");
        }
        try (JdbcCaptureStore store = JdbcCaptureStore.open(location())) {
            List<StoredFeedback> all = store.feedback(CaptureFilter.all());
            Set<String> ids = all.stream().map(f -> f.feedback().inferenceId()).collect(Collectors.toSet());
            assertThat(ids).containsAll(IntStream.range(0, confirmed).mapToObj(i -> "f" + i).toList());
            // the store stays usable and numbers keep going after the crash
            long next = store.record(dev.keel.api.monitor.Feedback.thumbsUp("after")).sequence();
            assertThat(next).isEqualTo(all.stream().mapToLong(StoredFeedback::sequence).max().orElse(0) + 1);
        }
    }

    @Test
    void every_captured_call_covered_by_a_returned_flush_survives_a_kill_and_only_the_queue_is_at_risk()
            throws Exception {
        int flushed = 0;
        try (ChildProcess c = child("both", "200")) {
            c.await("OPEN");
            while (flushed < 2000) {
                flushed = Math.max(flushed, Integer.parseInt(c.await("FLUSHED ").substring("FLUSHED ".length())));
            }
            c.kill();
            for (String l : c.lines()) {
                if (l.startsWith("FLUSHED ")) {
                    flushed = Math.max(flushed, Integer.parseInt(l.substring("FLUSHED ".length())));
                }
            }
        }
        try (JdbcCaptureStore store = JdbcCaptureStore.open(location())) {
            List<CapturedCall> calls = store.calls(CaptureFilter.all(), Integer.MAX_VALUE);
            Set<String> ids = calls.stream().map(CapturedCall::id).collect(Collectors.toSet());
            assertThat(ids).containsAll(IntStream.range(0, flushed).mapToObj(i -> "c" + i).toList());
            assertThat(calls).allSatisfy(call -> assertThat(call.inputs()).hasSize(1));
            assertThat(store.feedback(CaptureFilter.all())).isNotEmpty();
        }
    }
}
