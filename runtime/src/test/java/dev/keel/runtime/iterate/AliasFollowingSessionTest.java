package dev.keel.runtime.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.Labels;
import dev.keel.api.CheckpointException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.api.iterate.ModelNotFoundException;
import dev.keel.api.iterate.Registration;
import dev.keel.api.model.BertConfig;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.Keel;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions on {@code registry:NAME@ALIAS} follow the alias on a real engine (the builtin MiniLM on ONNX Runtime
 * under two head versions that answer "neg" and "pos" respectively), with callers running all along.
 */
class AliasFollowingSessionTest {
    private static final List<String> TEXTS = List.of("a fine, moving film", "dull and far too long");

    @TempDir
    Path dir;

    private JdbcModelRegistry registry;
    private KeelRuntime runtime;

    @BeforeEach
    void registerTwoVersions() {
        registry = JdbcModelRegistry.builder().location(dir.resolve("registry").toString())
                .pollInterval(Duration.ofMillis(50)).build();
        registry.register(Registration.of("sentiment", head(dir.resolve("v1"), 0)).alias("champion").build());
        registry.register("sentiment", head(dir.resolve("v2"), 1));
        runtime = KeelRuntime.builder().backend("onnx").registry(registry).build();
    }

    @AfterEach
    void close() {
        registry.close();
    }

    /** A head over builtin MiniLM that always answers {@code favoured} (0 = neg, 1 = pos). */
    static Path head(Path out, int favoured) {
        float[] bias = new float[2];
        bias[favoured] = 20f;
        ClassifierHead head = ClassifierHead.fromTensors(Map.of(
                ClassifierHead.WEIGHT, Tensor.ofFloats(ClassifierHead.WEIGHT, new long[] {2, 384}, new float[2 * 384]),
                ClassifierHead.BIAS, Tensor.ofFloats(ClassifierHead.BIAS, new long[] {2}, bias)));
        String base = "builtin:all-minilm-l6-v2";
        AdaptedModels.writeHeadFolder(out, BertConfig.miniLmL6(), Labels.of(List.of("neg", "pos")), 64, head,
                KeelMetadata.create("onnx", "head").withBase(base, "classify", List.of(base)));
        return out;
    }

    @Test
    void concurrent_callers_never_fail_while_the_alias_moves_and_each_call_is_answered_by_one_version()
            throws Exception {
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Set<String>> answers = new ConcurrentLinkedQueue<>();
        try (AliasFollowingSession session = AliasFollowingSession.open(registry, "sentiment", "champion",
                folder -> counting(runtime.open(ModelRef.of(folder)), opened, closed))) {
            assertThat(session.currentVersion()).isEqualTo(1);
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread caller = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            Set<String> labels = new HashSet<>();
                            session.classify(TEXTS).predictions().forEach(p -> labels.add(p.label()));
                            answers.add(labels);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }
                });
                caller.start();
                callers.add(caller);
            }
            int[] moves = {2, 1, 2, 1, 2};
            for (int target : moves) {
                TimeUnit.MILLISECONDS.sleep(150);
                registry.setAlias("sentiment", "champion", target, "test move", "test");
                await(() -> session.currentVersion() == target);
                // once switched, a new call is answered by the new version
                assertThat(session.classify(TEXTS).predictions()).extracting(Prediction::label)
                        .containsOnly(target == 1 ? "neg" : "pos");
                assertThat(session.info().version()).isEqualTo("sentiment/" + target);
            }
            TimeUnit.MILLISECONDS.sleep(150);
            stop.set(true);
            for (Thread caller : callers) {
                caller.join(30_000);
            }
            assertThat(failures).isEmpty();
            assertThat(answers).hasSizeGreaterThan(20).allMatch(labels -> labels.size() == 1);
            assertThat(answers.stream().map(s -> s.iterator().next()).distinct()).containsExactlyInAnyOrder("neg", "pos");
            assertThat(session.switches()).isEqualTo(moves.length);
            await(() -> closed.get() == moves.length); // every replaced version closed once its calls returned
            assertThat(opened.get()).isEqualTo(moves.length + 1);
        }
        assertThat(closed.get()).isEqualTo(opened.get());
    }

    @Test
    void a_tampered_new_version_is_not_switched_to_and_the_session_keeps_serving_the_old_one() throws Exception {
        Path weights = registry.version("sentiment", 2).location().resolve(AdaptedModels.HEAD_WEIGHTS);
        weights.toFile().setWritable(true);
        Files.write(weights, new byte[] {1, 2, 3});
        try (InferenceSession session = runtime.open(ModelRef.parse("registry:sentiment@champion"))) {
            AliasFollowingSession following = (AliasFollowingSession) session;
            registry.setAlias("sentiment", "champion", 2, "promote", "test");
            await(() -> following.lastSwitchFailure().isPresent());
            assertThat(following.lastSwitchFailure().orElseThrow()).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("registry:sentiment/2");
            assertThat(following.currentVersion()).isEqualTo(1);
            assertThat(session.classify(TEXTS).predictions()).extracting(Prediction::label).containsOnly("neg");
        }
    }

    @Test
    void a_fixed_version_reference_opens_that_version_through_keel_and_an_unknown_alias_is_a_clear_error() {
        String before = System.getProperty("keel.registry");
        registry.close(); // Keel.open opens its own handle on the same folder
        System.setProperty("keel.registry", dir.resolve("registry").toString());
        System.setProperty("keel.backend", "onnx");
        try (InferenceSession s = Keel.open("registry:sentiment/2")) {
            assertThat(s.classify(TEXTS).predictions()).extracting(Prediction::label).containsOnly("pos");
            assertThatThrownBy(() -> Keel.open("registry:sentiment@staging")).isInstanceOf(ModelNotFoundException.class)
                    .hasMessageContaining("champion");
        } finally {
            System.clearProperty("keel.backend");
            if (before == null) {
                System.clearProperty("keel.registry");
            } else {
                System.setProperty("keel.registry", before);
            }
            registry = JdbcModelRegistry.open(dir.resolve("registry"));
        }
    }

    private static void await(Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 30 s");
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** Counts opens and closes of a real session (a delegating proxy: every call goes to the session). */
    private static InferenceSession counting(InferenceSession real, AtomicInteger opened, AtomicInteger closed) {
        opened.incrementAndGet();
        return (InferenceSession) Proxy.newProxyInstance(InferenceSession.class.getClassLoader(),
                new Class<?>[] {InferenceSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        closed.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
