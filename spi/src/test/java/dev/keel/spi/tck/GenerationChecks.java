package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.infer.Sampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving a gpt2 folder: logits equal a plain-Java GPT-2 on the same checkpoint (so every engine agrees),
 * causality, seeded and greedy generation, streaming, evaluation, concurrent calls and one inference event
 * per call. A backend that does not declare inference for gpt2 must refuse the folder with
 * {@link UnsupportedCapabilityException}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface GenerationChecks extends KitBase {
    int[] TOKENS = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};

    /** Opens a fresh random gpt2 folder and runs the check, or asserts the refusal when gpt2 is not served. */
    private void withGpt2(Path dir, SessionOptions options, Map<String, Tensor> tensors,
            Consumer<InferenceSession> check) {
        withGpt2Session(dir, options, tensors, check);
    }

    private void withGpt2(Path dir, Consumer<InferenceSession> check) {
        withGpt2(dir, SessionOptions.defaults(), KitModels.randomGpt2(KitModels.GPT2, 21), check);
    }

    @Test
    default void logits_equal_a_plain_java_gpt2_on_the_same_checkpoint(@TempDir Path dir) {
        Map<String, Tensor> tensors = KitModels.randomGpt2(KitModels.GPT2, 22);
        float[][] expected = new ReferenceGpt2(KitModels.GPT2, tensors).logits(TOKENS);
        withGpt2(dir, SessionOptions.defaults(), tensors, session -> {
            float[][] actual = session.logits(TOKENS);
            assertThat(actual).hasNumberOfRows(TOKENS.length);
            for (int i = 0; i < TOKENS.length; i++) {
                assertThat(actual[i]).hasSize(KitModels.GPT2.vocabSize());
                for (int v = 0; v < actual[i].length; v++) {
                    assertThat((double) actual[i][v]).as("position %d token %d", i, v)
                            .isCloseTo(expected[i][v], within(1e-3));
                }
            }
        });
    }

    @Test
    default void a_later_token_never_changes_earlier_logits(@TempDir Path dir) {
        withGpt2(dir, session -> {
            float[][] before = session.logits(TOKENS);
            int[] changed = TOKENS.clone();
            changed[8] = 0;
            float[][] after = session.logits(changed);
            for (int i = 0; i < 8; i++) {
                assertThat(after[i]).as("position %d", i).containsExactly(before[i]);
            }
        });
    }

    @Test
    default void generation_repeats_under_a_seed_and_greedy_follows_the_logits(@TempDir Path dir) {
        withGpt2(dir, session -> {
            GenerationRequest sampled = GenerationRequest.builder().prompt("abc").maxTokens(10).temperature(0.8)
                    .topK(5).topP(0.9).seed(5).build();
            GenerationResult a = session.generate(sampled);
            assertThat(a.tokens()).hasSize(10).containsExactly(session.generate(sampled).tokens());
            GenerationResult greedy = session.generate(GenerationRequest.builder().prompt("abc").maxTokens(8)
                    .greedy().build());
            int[] context = session.tokenizer().encode("abc");
            for (int produced : greedy.tokens()) {
                float[][] logits = session.logits(context);
                assertThat(produced).isEqualTo(Sampler.argmax(logits[logits.length - 1]));
                context = java.util.Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = produced;
            }
            assertThat(greedy.text()).isEqualTo(session.tokenizer().decode(greedy.tokens()));
        });
    }

    @Test
    default void streamed_pieces_add_up_to_the_text(@TempDir Path dir) {
        withGpt2(dir, session -> {
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = session.generate(GenerationRequest.builder().prompt("a").maxTokens(12).seed(2)
                    .build(), (id, piece) -> streamed.append(piece));
            assertThat(streamed.toString()).isEqualTo(r.text());
        });
    }

    @Test
    default void evaluation_scores_every_token_of_the_split_deterministically(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        withGpt2(dir, session -> {
            EvaluationResult a = session.evaluate(TextCorpus.of(corpus), Split.VAL);
            EvaluationResult b = session.evaluate(TextCorpus.of(corpus), Split.VAL);
            int n = KitModels.TEXT.length();
            assertThat(a.tokens()).isEqualTo(n - (long) Math.floor(n * Split.TRAIN_FRACTION) - 1);
            assertThat(a.loss()).isEqualTo(b.loss()).isPositive();
            assertThat(a.perplexity()).isCloseTo(Math.exp(a.loss()), within(1e-9));
        });
    }

    @Test
    default void concurrent_calls_get_what_serial_calls_get(@TempDir Path dir) {
        withGpt2(dir, session -> {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                requests.add(GenerationRequest.builder().prompt("ab").maxTokens(8).seed(i).build());
            }
            List<String> serial = requests.stream().map(r -> session.generate(r).text()).toList();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<String>> parallel = requests.stream()
                        .map(r -> pool.submit(() -> session.generate(r).text())).toList();
                for (int i = 0; i < requests.size(); i++) {
                    assertThat(parallel.get(i).get()).isEqualTo(serial.get(i));
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    default void every_call_emits_one_inference_event_and_bad_tokens_are_refused(@TempDir Path dir) {
        List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
        withGpt2(dir, SessionOptions.builder().listener(events::add).build(),
                KitModels.randomGpt2(KitModels.GPT2, 23), session -> {
                    GenerationResult r = session.generate(GenerationRequest.builder().prompt("abc").maxTokens(5)
                            .build());
                    assertThatThrownBy(() -> session.logits(new int[] {KitModels.GPT2.vocabSize()}))
                            .isInstanceOf(InvalidInputException.class);
                    assertThat(events).hasSize(2);
                    InferenceEvent ok = events.get(0);
                    assertThat(ok.id()).isEqualTo(r.inferenceId());
                    assertThat(ok.operation()).isEqualTo(Operation.GENERATE);
                    assertThat(ok.backend()).isEqualTo(provider().name());
                    assertThat(ok.inputTokens()).isEqualTo(3);
                    assertThat(ok.outputTokens()).isEqualTo(5);
                    assertThat(ok.computeNanos()).isPositive();
                    assertThat(ok.timeToFirstTokenNanos()).isPositive();
                    assertThat(ok.error()).isNull();
                    assertThat(events.get(1).error()).isNotNull();
                });
    }
}
