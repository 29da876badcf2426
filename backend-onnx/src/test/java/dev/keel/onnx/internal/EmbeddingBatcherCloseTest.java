package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Closing a session while other threads embed stops the native work first: close returns only when no batch
 * runs any more, every call either finishes or fails with a clear KeelException, and the JVM does not crash.
 */
class EmbeddingBatcherCloseTest {
    @Test
    void closing_while_batches_run_waits_for_them_and_fails_the_waiting_calls_cleanly() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            texts.add("sentence " + i + " about the weather, the sea and the mountains in the north");
        }
        InferenceSession session = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.builder().maxBatchSize(16).build());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Future<?>> calls = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                calls.add(pool.submit(() -> {
                    for (int k = 0; k < 5; k++) {
                        try {
                            assertThat(session.embed(texts).vectors().length).isEqualTo(texts.size());
                            finished.incrementAndGet();
                        } catch (KeelException e) {
                            assertThat(e.getMessage()).contains("closed");
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            Thread.sleep(300);
            session.close();
            for (Future<?> f : calls) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(finished.get() + refused.get()).isEqualTo(20);
        assertThat(refused.get()).as("calls after close are refused").isPositive();
        assertThat(Thread.getAllStackTraces().keySet()).as("no worker left running")
                .noneMatch(t -> t.getName().startsWith("keel-onnx-embed-") && t.isAlive());
    }
}
