package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.monitor.InferenceEvent;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MiniLmEmbeddingTest {
    static final List<String> SENTENCES = List.of(
            "a",
            "The cat sits on the mat.",
            "it 's a charming and often affecting journey .",
            "unflinchingly bleak and desperate",
            "the movie is a disaster from beginning to end , with a script that lacks wit and actors who seem to be"
                    + " sleepwalking through their roles while the camera wanders aimlessly .",
            "Ünïcödé, emojis 🙂 and numbers 12345 too",
            "");

    static final List<InferenceEvent> EVENTS = Collections.synchronizedList(new ArrayList<>());
    static InferenceSession session;

    @BeforeAll
    static void open() {
        session = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.builder().maxBatchSize(4).listener(EVENTS::add).build());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void builtin_minilm_embeddings_match_langchain4j_vectors() {
        List<String> nonEmpty = SENTENCES.stream().filter(s -> !s.isEmpty()).toList();
        List<Embedding> reference = new AllMiniLmL6V2EmbeddingModel()
                .embedAll(nonEmpty.stream().map(TextSegment::from).toList()).content();
        float[][] ours = session.embed(nonEmpty).vectors();
        assertThat(ours).hasNumberOfRows(nonEmpty.size());
        for (int i = 0; i < ours.length; i++) {
            assertThat(ours[i]).hasSize(384);
            assertThat(cosine(ours[i], reference.get(i).vector())).as(nonEmpty.get(i)).isGreaterThanOrEqualTo(0.9999);
        }
    }

    @Test
    void the_int8_variant_stays_close_to_the_float_model() {
        List<String> texts = SENTENCES.subList(1, 6);
        float[][] exact = session.embed(texts).vectors();
        try (InferenceSession int8 = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2-int8"),
                SessionOptions.defaults())) {
            float[][] approx = int8.embed(texts).vectors();
            for (int i = 0; i < texts.size(); i++) {
                assertThat(cosine(exact[i], approx[i])).as(texts.get(i)).isGreaterThan(0.98).isLessThan(0.999999);
            }
            assertThat(int8.info().version()).isEqualTo("builtin:all-minilm-l6-v2-int8");
        }
    }

    @Test
    void vectors_are_unit_length_only_when_normalisation_is_asked() {
        float[] normalised = session.embed(List.of("hello world"), new EmbeddingOptions(true, 128)).vectors()[0];
        float[] raw = session.embed(List.of("hello world"), new EmbeddingOptions(false, 128)).vectors()[0];
        assertThat(norm(normalised)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(norm(raw)).isNotCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(cosine(raw, normalised)).isGreaterThan(0.99999);
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void a_text_gets_the_same_vector_alone_and_in_a_padded_batch() {
        float[][] batch = session.embed(SENTENCES).vectors();
        for (int i = 0; i < SENTENCES.size(); i++) {
            float[] alone = session.embed(List.of(SENTENCES.get(i))).vectors()[0];
            assertThat(cosine(alone, batch[i])).as(SENTENCES.get(i)).isGreaterThan(0.99999);
        }
    }

    @Test
    void concurrent_callers_each_get_their_own_vectors() throws Exception {
        float[][] expected = session.embed(SENTENCES).vectors();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                for (String s : SENTENCES) {
                    futures.add(pool.submit(() -> session.embed(List.of(s)).vectors()[0]));
                }
            }
            // calls of many chunks, so both inference threads merge and split rows of different callers
            List<String> many = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                many.addAll(SENTENCES);
            }
            List<Future<float[][]>> large = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                large.add(pool.submit(() -> session.embed(many).vectors()));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertThat(cosine(futures.get(i).get(), expected[i % SENTENCES.size()])).isGreaterThan(0.99999);
            }
            for (Future<float[][]> f : large) {
                float[][] got = f.get();
                for (int i = 0; i < got.length; i++) {
                    assertThat(cosine(got[i], expected[i % SENTENCES.size()])).isGreaterThan(0.99999);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void each_call_reports_one_event_with_its_timings() {
        EVENTS.clear();
        EmbeddingResult r = session.embed(List.of("one", "two three"));
        assertThat(EVENTS).hasSize(1);
        InferenceEvent e = EVENTS.get(0);
        assertThat(e.id()).isEqualTo(r.inferenceId());
        assertThat(e.operation()).isEqualTo(Operation.EMBED);
        assertThat(e.backend()).isEqualTo("onnx");
        assertThat(e.modelVersion()).isEqualTo("builtin:all-minilm-l6-v2");
        assertThat(e.inputs()).containsExactly("one", "two three");
        assertThat(e.inputTokens()).isEqualTo(3 + 4);
        assertThat(e.tokenizeNanos()).isPositive();
        assertThat(e.computeNanos()).isPositive();
        assertThat(e.queueNanos()).isNotNegative();
        assertThat(e.failed()).isFalse();
    }

    @Test
    void a_listener_that_throws_does_not_fail_the_call() {
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.builder().listener(e -> { throw new IllegalStateException("broken monitor"); }).build())) {
            assertThat(s.embed(List.of("still works")).vectors()).hasNumberOfRows(1);
        }
    }

    @Test
    void bad_input_is_rejected_with_a_message_naming_it() {
        assertThatThrownBy(() -> session.embed(java.util.Arrays.asList("ok", null)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("text 1 is null");
        assertThatThrownBy(() -> session.embed(List.of("x"), new EmbeddingOptions(true, 1)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("max length");
        assertThatThrownBy(() -> new OnnxBackendProvider().open(ModelRef.parse("builtin:gpt-5"),
                SessionOptions.defaults()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("builtin:all-minilm-l6-v2");
        assertThatThrownBy(() -> session.generate(dev.keel.api.infer.GenerationRequest.of("hi", 3)))
                .isInstanceOf(dev.keel.api.UnsupportedCapabilityException.class);
    }

    @Test
    void an_empty_list_embeds_to_no_vectors() {
        assertThat(session.embed(List.of()).vectors()).isEmpty();
    }

    @Test
    void a_closed_session_refuses_calls() {
        InferenceSession s = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.defaults());
        s.close();
        assertThatThrownBy(() -> s.embed(List.of("x"))).hasMessageContaining("closed");
    }
}
