package dev.keel.djl.internal.gpt2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.StopReason;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.djl.internal.DjlEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2SessionTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path corpus;
    static final List<InferenceEvent> EVENTS = Collections.synchronizedList(new ArrayList<>());
    static Gpt2Session session;

    @BeforeAll
    static void trainATinyModel() {
        TinyCorpus.useTempTokenCache(dir);
        corpus = TinyCorpus.write(dir);
        model = dir.resolve("model");
        new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, model)
                .training(TinyCorpus.training().maxSteps(30).evalInterval(30).evalIters(2).build()).build());
        session = Gpt2Session.open(model, SessionOptions.builder().listener(EVENTS::add).build());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    private static GenerationRequest.Builder request() {
        return GenerationRequest.builder().prompt("the ").maxTokens(24).temperature(0.9).topK(10).topP(0.95).seed(3);
    }

    @Test
    void generation_repeats_under_a_seed_and_changes_with_it() {
        GenerationResult a = session.generate(request().build());
        GenerationResult b = session.generate(request().build());
        GenerationResult c = session.generate(request().seed(4).build());
        assertThat(a.tokens()).hasSize(24).containsExactly(b.tokens());
        assertThat(a.text()).isEqualTo(b.text());
        assertThat(c.text()).isNotEqualTo(a.text());
        assertThat(a.stopReason()).isEqualTo(StopReason.LENGTH);
    }

    @Test
    void the_key_value_cache_generates_what_full_passes_generate() {
        // 40 new tokens after a 4-token prompt cross the 16-token context several times
        GenerationRequest greedy = GenerationRequest.builder().prompt("the ").maxTokens(40).greedy().build();
        GenerationResult cached = session.generate(greedy);
        try (Gpt2Session plain = Gpt2Session.open(model, SessionOptions.defaults()).withKvCache(false)) {
            GenerationResult full = plain.generate(greedy);
            assertThat(cached.tokens()).containsExactly(full.tokens());
            GenerationResult sampledFull = plain.generate(request().maxTokens(40).build());
            assertThat(session.generate(request().maxTokens(40).build()).tokens())
                    .containsExactly(sampledFull.tokens());
        }
    }

    @Test
    void streamed_pieces_make_the_text_and_a_stop_string_ends_it() {
        StringBuilder streamed = new StringBuilder();
        GenerationResult all = session.generate(request().maxTokens(30).build(), (id, piece) -> streamed.append(piece));
        assertThat(streamed.toString()).isEqualTo(all.text());
        String stop = all.text().substring(10, 12);
        StringBuilder cut = new StringBuilder();
        GenerationResult stopped = session.generate(request().maxTokens(30).stop(List.of(stop)).build(),
                (id, piece) -> cut.append(piece));
        assertThat(stopped.stopReason()).isEqualTo(StopReason.STOP);
        assertThat(stopped.text()).isEqualTo(all.text().substring(0, all.text().indexOf(stop)));
        assertThat(cut.toString()).isEqualTo(stopped.text());
    }

    @Test
    void evaluation_scores_every_token_of_the_split_the_same_way_each_time() {
        EvaluationResult a = session.evaluate(TextCorpus.of(corpus), Split.VAL);
        EvaluationResult b = session.evaluate(TextCorpus.of(corpus), Split.VAL);
        int total = TinyCorpus.TEXT.length();
        int valTokens = total - (int) Math.floor(total * Split.TRAIN_FRACTION);
        assertThat(a.tokens()).isEqualTo(valTokens - 1);
        assertThat(a.loss()).isEqualTo(b.loss()).isLessThan(Math.log(20));
        assertThat(a.perplexity()).isCloseTo(Math.exp(a.loss()), within(1e-9));
    }

    @Test
    void many_threads_at_once_get_what_one_thread_gets() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            requests.add(request().seed(i).maxTokens(12).build());
        }
        List<String> serial = requests.stream().map(r -> session.generate(r).text()).toList();
        float[][] logits = session.logits(new int[] {1, 2, 3});
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> texts = new ArrayList<>();
            List<Future<float[][]>> parallelLogits = new ArrayList<>();
            for (GenerationRequest r : requests) {
                texts.add(pool.submit(() -> session.generate(r).text()));
                parallelLogits.add(pool.submit(() -> session.logits(new int[] {1, 2, 3})));
            }
            for (int i = 0; i < requests.size(); i++) {
                assertThat(texts.get(i).get()).isEqualTo(serial.get(i));
                assertThat(parallelLogits.get(i).get()[2]).containsExactly(logits[2]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void every_call_emits_one_event_and_failures_carry_the_error() {
        EVENTS.clear();
        GenerationResult r = session.generate(request().build());
        assertThatThrownBy(() -> session.logits(new int[] {999}))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("999");
        assertThat(EVENTS).hasSize(2);
        InferenceEvent ok = EVENTS.get(0);
        assertThat(ok.id()).isEqualTo(r.inferenceId());
        assertThat(ok.operation()).isEqualTo(Operation.GENERATE);
        assertThat(ok.backend()).isEqualTo("djl");
        assertThat(ok.device()).isEqualTo("cpu");
        assertThat(ok.inputs()).containsExactly("the ");
        assertThat(ok.inputTokens()).isEqualTo(4);
        assertThat(ok.outputTokens()).isEqualTo(24);
        assertThat(ok.outputs()).containsExactly(r.text());
        assertThat(ok.computeNanos()).isPositive();
        assertThat(ok.timeToFirstTokenNanos()).isPositive().isLessThanOrEqualTo(ok.totalNanos());
        assertThat(ok.error()).isNull();
        assertThat(ok.modelVersion()).isEqualTo(session.info().version());
        InferenceEvent failed = EVENTS.get(1);
        assertThat(failed.operation()).isEqualTo(Operation.LOGITS);
        assertThat(failed.error()).contains("999");
    }

    @Test
    void a_listener_that_throws_never_fails_the_call() {
        try (Gpt2Session noisy = Gpt2Session.open(model, SessionOptions.builder().listener(e -> {
            throw new IllegalStateException("monitor broke");
        }).build())) {
            assertThat(noisy.generate(request().maxTokens(3).build()).tokens()).hasSize(3);
        }
    }

    @Test
    void a_gpu_without_a_cuda_native_is_refused_clearly() {
        Assumptions.assumeTrue(DjlEngine.pytorch().getGpuCount() == 0, "a CUDA GPU is present here");
        assertThatThrownBy(() -> Gpt2Session.open(model, SessionOptions.builder().device(Device.gpu(0)).build()))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("gpu:0").hasMessageContaining("--device cpu");
    }

    @Test
    void a_closed_session_refuses_calls() {
        Gpt2Session s = Gpt2Session.open(model, SessionOptions.defaults());
        s.close();
        assertThatThrownBy(() -> s.generate(request().build())).hasMessageContaining("closed");
    }
}
