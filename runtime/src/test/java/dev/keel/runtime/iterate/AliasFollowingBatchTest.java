package dev.keel.runtime.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import dev.keel.spi.tck.KitModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous batching on {@code registry:NAME@ALIAS} (a real engine, ONNX Runtime, two gpt2 versions with
 * different weights): a sequence stays on the version it joined on, across steps and a sliding window's
 * re-read, while sequences that join after a promotion are decoded by the promoted version.
 */
class AliasFollowingBatchTest {
    private static final Gpt2Config GPT2 = new Gpt2Config(11, 24, 32, 2, 2, 0.0, true, 1e-5);

    @TempDir
    Path dir;

    @Test
    void a_sequence_finishes_on_its_version_and_newcomers_after_a_promotion_use_the_new_one() throws Exception {
        Path v1 = gpt2(dir.resolve("v1"), 21);
        Path v2 = gpt2(dir.resolve("v2"), 22);
        try (JdbcModelRegistry registry = JdbcModelRegistry.builder().location(dir.resolve("registry").toString())
                .pollInterval(Duration.ofMillis(50)).build()) {
            registry.register("tiny", v1);
            registry.register("tiny", v2);
            registry.setAlias("tiny", "prod", 1, "first release");
            KeelRuntime runtime = KeelRuntime.builder().backend("onnx").registry(registry).build();
            try (InferenceSession first = runtime.open(ModelRef.of(v1));
                    InferenceSession second = runtime.open(ModelRef.of(v2));
                    InferenceSession alias = runtime.open(ModelRef.parse("registry:tiny@prod"))) {
                assertThat(StepDecoding.of(alias)).as("an alias session decodes sequences together").isPresent();
                try (DecodeBatch batch = StepDecoding.of(alias).orElseThrow().openBatch()) {
                    assertThat(batch.context()).isEqualTo(GPT2.nPositions());
                    assertSame(batch.add("a", new int[] {1, 2, 3}), first, 1, 2, 3);

                    registry.setAlias("tiny", "prod", 2, "promote the challenger");
                    AliasFollowingSession following = (AliasFollowingSession) alias;
                    for (int i = 0; i < 400 && following.currentVersion() != 2; i++) {
                        Thread.sleep(25);
                    }
                    assertThat(following.currentVersion()).isEqualTo(2);

                    assertSame(batch.add("b", new int[] {4, 5}), second, 4, 5);
                    float[][] stepped = batch.step(List.of("b", "a"), new int[] {6, 7});
                    assertSame(stepped[0], second, 4, 5, 6);
                    assertSame(stepped[1], first, 1, 2, 3, 7);
                    assertSame(batch.reread("a", new int[] {3, 7}), first, 3, 7);
                    stepped = batch.step(List.of("a", "b"), new int[] {8, 9});
                    assertSame(stepped[0], first, 3, 7, 8);
                    assertSame(stepped[1], second, 4, 5, 6, 9);

                    batch.remove("a");
                    assertThat(batch.size()).isEqualTo(1);
                    assertSame(batch.step(List.of("b"), new int[] {1})[0], second, 4, 5, 6, 9, 1);
                }
            }
        }
    }

    private static Path gpt2(Path out, long seed) {
        ModelFolder.write(out, GPT2, KitModels.randomGpt2(GPT2, seed).values(), KitModels.TOKENIZER,
                KeelMetadata.create("test", "import").withVersion("tiny-" + seed));
        return out;
    }

    private static void assertSame(float[] logits, InferenceSession version, int... tokens) {
        float[][] alone = version.logits(tokens);
        float[] expected = alone[alone.length - 1];
        assertThat(logits).hasSize(expected.length);
        for (int v = 0; v < expected.length; v++) {
            assertThat((double) logits[v]).as("after %d tokens, token %d", tokens.length, v)
                    .isCloseTo(expected[v], within(1e-4));
        }
    }
}
