package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous batching ({@link StepDecoding}), for a backend that generates: sequences of different lengths
 * that join, step together and leave a batch get, at every step, the logits each gets alone. Joining pads
 * the batch or the newcomer, leaving trims padding, a re-read (a slid window) replaces a sequence's cache, so
 * every path of the row bookkeeping is crossed.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface StepDecodingChecks extends KitBase {
    @Test
    default void sequences_decoded_together_get_the_logits_each_gets_alone(@TempDir Path dir) {
        // a backend without gpt2: withGpt2Session asserts the refusal and reports this check skipped, with why
        withGpt2Session(dir, SessionOptions.defaults(), KitModels.randomGpt2(KitModels.GPT2, 31), session -> {
            assertThat(StepDecoding.of(session)).as("a backend that generates decodes sequences together").isPresent();
            Map<String, List<Integer>> sequences = new LinkedHashMap<>();
            try (DecodeBatch batch = StepDecoding.of(session).orElseThrow().openBatch()) {
                assertThat(batch.context()).isEqualTo(KitModels.GPT2.nPositions());
                join(session, batch, sequences, "a", 3, 1, 4);
                join(session, batch, sequences, "b", 1, 5, 9, 2, 6, 5, 3);   // longer: the batch is padded
                join(session, batch, sequences, "c", 5);                     // shorter: the newcomer is padded
                steps(session, batch, sequences, 3);
                batch.remove("b");                                           // the longest leaves: columns trimmed
                sequences.remove("b");
                steps(session, batch, sequences, 2);
                join(session, batch, sequences, "d", 8, 9, 7, 9, 3, 2, 3, 8, 4);
                steps(session, batch, sequences, 2);
                reread(session, batch, sequences, "a", 4);                   // a window slid: read again in place
                steps(session, batch, sequences, 1);
                batch.remove("a");
                batch.remove("c");
                sequences.remove("a");
                sequences.remove("c");
                steps(session, batch, sequences, 1);
                assertThat(batch.size()).isEqualTo(1);
                assertThatThrownBy(() -> batch.add("e", new int[KitModels.GPT2.nPositions() + 1]))
                        .isInstanceOf(InvalidInputException.class);
            }
        });
    }

    private static void join(InferenceSession session, DecodeBatch batch, Map<String, List<Integer>> sequences,
            String key, int... tokens) {
        float[] logits = batch.add(key, tokens);
        List<Integer> seq = new ArrayList<>();
        Arrays.stream(tokens).forEach(seq::add);
        sequences.put(key, seq);
        assertSame(session, key, seq, logits);
    }

    private static void reread(InferenceSession session, DecodeBatch batch, Map<String, List<Integer>> sequences,
            String key, int keep) {
        List<Integer> seq = sequences.get(key);
        List<Integer> newer = new ArrayList<>(seq.subList(seq.size() - keep, seq.size()));
        float[] logits = batch.reread(key, newer.stream().mapToInt(Integer::intValue).toArray());
        sequences.put(key, newer);
        assertSame(session, key, newer, logits);
    }

    private static void steps(InferenceSession session, DecodeBatch batch, Map<String, List<Integer>> sequences,
            int count) {
        for (int s = 0; s < count; s++) {
            List<String> keys = new ArrayList<>(sequences.keySet());
            java.util.Collections.reverse(keys); // any order
            int[] next = new int[keys.size()];
            for (int i = 0; i < next.length; i++) {
                next[i] = (keys.get(i).charAt(0) * 7 + s * 3 + i) % KitModels.GPT2.vocabSize();
            }
            float[][] logits = batch.step(keys, next);
            for (int i = 0; i < next.length; i++) {
                sequences.get(keys.get(i)).add(next[i]);
                assertSame(session, keys.get(i), sequences.get(keys.get(i)), logits[i]);
            }
        }
    }

    private static void assertSame(InferenceSession session, String key, List<Integer> seq, float[] logits) {
        int[] tokens = seq.stream().mapToInt(Integer::intValue).toArray();
        float[][] alone = session.logits(tokens);
        float[] expected = alone[alone.length - 1];
        assertThat(logits).hasSize(expected.length);
        for (int v = 0; v < expected.length; v++) {
            assertThat((double) logits[v]).as("sequence %s after %d tokens, token %d", key, tokens.length, v)
                    .isCloseTo(expected[v], within(1e-4));
        }
    }
}
