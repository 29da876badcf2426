package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embedding with a gpt2 folder, the features a {@code head} classifier reads: the mean over the text's tokens
 * of the final hidden states (after {@code ln_f}) equals the plain-Java GPT-2 on the same checkpoint, a text
 * gets the same vector alone or padded inside a batch, inputs are cut to {@code min(maxLength, n_positions)}
 * tokens, normalisation gives unit vectors, an empty text is refused, and each call emits one event.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface Gpt2EmbeddingChecks extends KitBase {
    /** Mean of the reference hidden states over the first {@code limit} tokens of {@code text}. */
    private static float[] referenceEmbedding(Map<String, Tensor> tensors, String text, int limit) {
        int[] ids = KitModels.TOKENIZER.encode(text);
        ids = Arrays.copyOf(ids, Math.min(ids.length, limit));
        float[][] h = new ReferenceGpt2(KitModels.GPT2, tensors).hidden(ids);
        float[] mean = new float[KitModels.GPT2.nEmbd()];
        for (float[] row : h) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += row[j] / h.length;
            }
        }
        return mean;
    }


    @Test
    default void gpt2_embeddings_are_the_mean_of_the_reference_final_hidden_states(@TempDir Path dir) {
        Map<String, Tensor> tensors = KitModels.randomGpt2(KitModels.GPT2, 31);
        // the last text is longer than n_positions (16), so it is cut to its first 16 tokens
        List<String> texts = List.of("abc", "jihgfedcba", "a", "abcdefghij\nabcdefghij");
        withGpt2Session(dir, SessionOptions.defaults(), tensors, session -> {
            float[][] v = session.embed(texts, new EmbeddingOptions(false, 256)).vectors();
            assertThat(v).hasNumberOfRows(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                KitBase.assertClose(v[i], referenceEmbedding(tensors, texts.get(i), KitModels.GPT2.nPositions()), 1e-4,
                        "text " + i);
            }
            float[][] cut = session.embed(List.of("jihgfedcba"), new EmbeddingOptions(false, 4)).vectors();
            KitBase.assertClose(cut[0], referenceEmbedding(tensors, "jihgfedcba", 4), 1e-4, "maxLength 4");
        });
    }

    @Test
    default void a_gpt2_embedding_does_not_depend_on_the_batch_it_is_padded_in(@TempDir Path dir) {
        withGpt2Session(dir, SessionOptions.defaults(), KitModels.randomGpt2(KitModels.GPT2, 32), session -> {
            EmbeddingOptions raw = new EmbeddingOptions(false, 256);
            float[] alone = session.embed(List.of("abc"), raw).vectors()[0];
            float[][] batch = session.embed(List.of("abcdefghijabcd", "abc", "jihgfedcbaj"), raw).vectors();
            KitBase.assertClose(batch[1], alone, 1e-5, "abc inside a batch of longer texts");
            float[] longAlone = session.embed(List.of("jihgfedcbaj"), raw).vectors()[0];
            KitBase.assertClose(batch[2], longAlone, 1e-5, "the longer text inside the batch");
        });
    }

    @Test
    default void normalised_gpt2_embeddings_are_unit_vectors_along_the_raw_ones(@TempDir Path dir) {
        withGpt2Session(dir, SessionOptions.defaults(), KitModels.randomGpt2(KitModels.GPT2, 33), session -> {
            float[] raw = session.embed(List.of("hijhij"), new EmbeddingOptions(false, 256)).vectors()[0];
            float[] unit = session.embed(List.of("hijhij"), new EmbeddingOptions(true, 256)).vectors()[0];
            double norm = 0;
            double rawNorm = 0;
            for (int j = 0; j < unit.length; j++) {
                norm += unit[j] * unit[j];
                rawNorm += raw[j] * raw[j];
            }
            assertThat(norm).isCloseTo(1.0, within(1e-5));
            for (int j = 0; j < unit.length; j++) {
                assertThat((double) unit[j]).isCloseTo(raw[j] / Math.sqrt(rawNorm), within(1e-5));
            }
        });
    }

    @Test
    default void gpt2_embed_emits_one_event_per_call_and_refuses_an_empty_text(@TempDir Path dir) {
        List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
        withGpt2Session(dir, SessionOptions.builder().listener(events::add).build(),
                KitModels.randomGpt2(KitModels.GPT2, 34), session -> {
                    EmbeddingResult ok = session.embed(List.of("abc", "de"));
                    KitBase.expectThrown("embed([\"abc\", \"\"]): an empty text has no token to pool, so it must "
                            + "throw InvalidInputException saying 'text 1 is empty'", () -> session.embed(List.of("abc", "")))
                            .isInstanceOf(InvalidInputException.class).hasMessageContaining("text 1 is empty");
                    assertThat(events).hasSize(2);
                    assertThat(events.get(0).id()).isEqualTo(ok.inferenceId());
                    assertThat(events.get(0).operation()).isEqualTo(Operation.EMBED);
                    assertThat(events.get(0).backend()).isEqualTo(provider().name());
                    assertThat(events.get(0).inputTokens()).isEqualTo(5);
                    assertThat(ok.inputTokens()).as("the result carries the tokens its event reports, so a server's "
                            + "usage needs no second tokenization").hasValue(5);
                    assertThat(events.get(0).error()).isNull();
                    assertThat(events.get(1).operation()).isEqualTo(Operation.EMBED);
                    assertThat(events.get(1).error()).contains("empty");
                    assertThat(session.embed(List.of()).vectors()).isEmpty();
                });
    }
}
