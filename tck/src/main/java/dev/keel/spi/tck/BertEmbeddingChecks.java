package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
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
 * Embedding with a bert folder (the family of all-MiniLM-L6-v2 and of every encoder a head or LoRA classifier
 * is built on): the mean of the last hidden states over the text's tokens equals a plain-Java BERT
 * ({@link ReferenceBert}) on the same checkpoint, a text gets the same vector alone or padded inside a batch,
 * inputs are cut to {@code min(maxLength, max_position_embeddings)} tokens, and normalisation gives unit
 * vectors. A backend that does not declare inference for bert must refuse the folder with
 * {@link dev.keel.api.UnsupportedCapabilityException}; these checks are then reported as skipped.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface BertEmbeddingChecks extends KitBase {
    /** What a backend serving bert must compute, in words, for failure messages. */
    String BERT_EMBEDDING = "a bert embedding is the mean over the text's tokens of BertModel's last hidden states "
            + "(no [CLS] pooling, no pooler), as sentence-transformers computes it";

    private static float[] reference(Map<String, Tensor> tensors, String text, int limit) {
        int[] ids = KitModels.TOKENIZER.encode(text);
        return new ReferenceBert(KitModels.BERT, tensors).meanPooled(Arrays.copyOf(ids, Math.min(ids.length, limit)));
    }

    @Test
    default void bert_embeddings_are_the_mean_of_the_reference_last_hidden_states(@TempDir Path dir) {
        Map<String, Tensor> tensors = KitModels.randomBert(KitModels.BERT, 51);
        int positions = KitModels.BERT.maxPositionEmbeddings();
        // the last text is longer than max_position_embeddings (32), so it is cut to its first 32 tokens
        List<String> texts = List.of("abc", "jihgfedcba", "a", "abcdefghij\nabcdefghij\nabcdefghij\nabcdefghij");
        withBertSession(dir, SessionOptions.defaults(), tensors, session -> {
            float[][] v = session.embed(texts, new EmbeddingOptions(false, 256)).vectors();
            assertThat(v).as("one vector per text").hasNumberOfRows(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                KitBase.assertClose(v[i], reference(tensors, texts.get(i), positions), 1e-4,
                        "backend '" + provider().name() + "', text " + i + " ('" + texts.get(i).replace("\n", "\\n")
                                + "'): " + BERT_EMBEDDING + ", cut to " + positions + " positions");
            }
            float[][] cut = session.embed(List.of("jihgfedcba"), new EmbeddingOptions(false, 4)).vectors();
            KitBase.assertClose(cut[0], reference(tensors, "jihgfedcba", 4), 1e-4,
                    "backend '" + provider().name() + "' with maxLength 4: the text is cut to its first 4 tokens");
        });
    }

    @Test
    default void a_bert_embedding_result_carries_the_tokens_its_event_reports(@TempDir Path dir) {
        List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
        withBertSession(dir, SessionOptions.builder().listener(events::add).build(),
                KitModels.randomBert(KitModels.BERT, 53), session -> {
                    // the long text is cut to max_position_embeddings (32): the count is what the model read
                    EmbeddingResult r = session.embed(List.of("abc", "abcdefghij\nabcdefghij\nabcdefghij\nabcdefghij"));
                    assertThat(events).hasSize(1);
                    long read = events.get(0).inputTokens();
                    assertThat(read).as("tokens of 'abc' plus the 32 the long text is cut to").isGreaterThan(32)
                            .isLessThanOrEqualTo(64);
                    assertThat(r.inputTokens()).as("backend '" + provider().name() + "': the result carries the tokens "
                            + "its event reports, so a server's usage needs no second tokenization").hasValue(read);
                });
    }

    @Test
    default void a_bert_embedding_does_not_depend_on_the_batch_it_is_padded_in(@TempDir Path dir) {
        withBertSession(dir, SessionOptions.defaults(), KitModels.randomBert(KitModels.BERT, 52), session -> {
            EmbeddingOptions raw = new EmbeddingOptions(false, 256);
            float[] alone = session.embed(List.of("abc"), raw).vectors()[0];
            float[][] batch = session.embed(List.of("abcdefghijabcd", "abc", "jihgfedcbaj"), raw).vectors();
            KitBase.assertClose(batch[1], alone, 1e-5, "'abc' inside a batch of longer texts: padding must be masked out of "
                    + "attention and out of the mean");
            float[] longAlone = session.embed(List.of("jihgfedcbaj"), raw).vectors()[0];
            KitBase.assertClose(batch[2], longAlone, 1e-5, "the longer text inside the batch");
        });
    }

    @Test
    default void normalised_bert_embeddings_are_unit_vectors_along_the_raw_ones(@TempDir Path dir) {
        withBertSession(dir, SessionOptions.defaults(), KitModels.randomBert(KitModels.BERT, 53), session -> {
            float[] raw = session.embed(List.of("hijhij"), new EmbeddingOptions(false, 256)).vectors()[0];
            float[] unit = session.embed(List.of("hijhij"), EmbeddingOptions.defaults()).vectors()[0];
            double norm = 0;
            double rawNorm = 0;
            for (int j = 0; j < unit.length; j++) {
                norm += unit[j] * unit[j];
                rawNorm += raw[j] * raw[j];
            }
            assertThat(norm).as("squared length of a normalised embedding (EmbeddingOptions.defaults() normalises)")
                    .isCloseTo(1.0, within(1e-5));
            float[] expected = raw.clone();
            for (int j = 0; j < expected.length; j++) {
                expected[j] = (float) (raw[j] / Math.sqrt(rawNorm));
            }
            KitBase.assertClose(unit, expected, 1e-5, "the normalised vector points along the raw one");
        });
    }
}
