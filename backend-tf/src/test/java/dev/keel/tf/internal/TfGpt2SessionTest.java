package dev.keel.tf.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.SessionClosedException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.StopReason;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tck.KitModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfGpt2SessionTest {
    private static final Gpt2Config CONFIG = Gpt2Fixtures.config(32, 32, 2, 4);
    private static final Map<String, float[]> WEIGHTS = Gpt2Fixtures.randomWeights(CONFIG, 7);
    private static final List<InferenceEvent> EVENTS = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    static Path tmp;
    private static Path folder;
    private static InferenceSession session;

    @BeforeAll
    static void open() {
        KitModels.tokenCacheIn(tmp);
        folder = Gpt2Fixtures.write(tmp.resolve("model"), CONFIG, WEIGHTS);
        session = new TfBackendProvider().open(ModelRef.of(folder),
                SessionOptions.builder().threads(2).listener(EVENTS::add).build());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    private static int[] encode(String text) {
        return Gpt2Fixtures.TOKENIZER.encode(text);
    }

    @Test
    void logits_match_a_plain_java_forward_pass() {
        int[] ids = encode("to be, or not to");
        double[][] expected = Gpt2Fixtures.referenceLogits(CONFIG, WEIGHTS, ids);
        float[][] actual = session.logits(ids);
        assertThat(actual.length).isEqualTo(ids.length);
        double worst = 0;
        for (int t = 0; t < ids.length; t++) {
            assertThat(actual[t]).hasSize(CONFIG.vocabSize());
            for (int v = 0; v < CONFIG.vocabSize(); v++) {
                worst = Math.max(worst, Math.abs(actual[t][v] - expected[t][v]));
            }
        }
        assertThat(worst).isLessThanOrEqualTo(1e-4);
        // Guard against a degenerate model that would make the comparison meaningless.
        assertThat(Math.abs(expected[3][0] - expected[3][1])).isGreaterThan(1e-3);
    }

    @Test
    void a_position_never_sees_later_tokens() {
        int[] a = encode("the cat sat");
        int[] b = encode("the cat ran");
        float[][] la = session.logits(a);
        float[][] lb = session.logits(b);
        int same = 8; // "the cat " is shared
        for (int t = 0; t < same; t++) {
            assertThat(lb[t]).containsExactly(la[t], within(1e-5f));
        }
        assertThat(Math.abs(la[a.length - 1][0] - lb[b.length - 1][0])).isGreaterThan(1e-4f);
    }

    @Test
    void greedy_generation_with_the_cache_follows_the_full_forward_pass() {
        GenerationRequest greedy = GenerationRequest.builder().prompt("what").maxTokens(20).greedy().build();
        GenerationResult result = session.generate(greedy);
        assertThat(result.stopReason()).isEqualTo(StopReason.LENGTH);
        assertThat(result.tokens()).hasSize(20);
        // Recompute every step from scratch, without the cache.
        List<Integer> ctx = new ArrayList<>();
        for (int t : encode("what")) {
            ctx.add(t);
        }
        for (int step = 0; step < 20; step++) {
            int[] window = ctx.stream().mapToInt(Integer::intValue).toArray();
            double[][] ref = Gpt2Fixtures.referenceLogits(CONFIG, WEIGHTS, window);
            int best = 0;
            double[] last = ref[window.length - 1];
            for (int v = 1; v < last.length; v++) {
                if (last[v] > last[best]) {
                    best = v;
                }
            }
            assertThat(result.tokens()[step]).as("token %d", step).isEqualTo(best);
            ctx.add(best);
        }
        assertThat(result.text()).isEqualTo(Gpt2Fixtures.TOKENIZER.decode(result.tokens()));
    }

    @Test
    void sampling_repeats_under_a_seed_and_streams_the_same_text() {
        GenerationRequest req = GenerationRequest.builder().prompt("a").maxTokens(25).temperature(0.9).topK(10)
                .topP(0.9).seed(42).build();
        StringBuilder streamed = new StringBuilder();
        GenerationResult first = session.generate(req, (id, piece) -> streamed.append(piece));
        GenerationResult again = session.generate(req);
        GenerationResult other = session.generate(GenerationRequest.builder().prompt("a").maxTokens(25)
                .temperature(0.9).topK(10).topP(0.9).seed(43).build());
        assertThat(again.tokens()).containsExactly(first.tokens());
        assertThat(streamed.toString()).isEqualTo(first.text());
        assertThat(other.tokens()).isNotEqualTo(first.tokens());
    }

    @Test
    void a_stop_string_ends_generation_and_is_left_out() {
        GenerationRequest probe = GenerationRequest.builder().prompt("so").maxTokens(12).greedy().build();
        String text = session.generate(probe).text();
        String stop = text.substring(5, 7);
        StringBuilder streamed = new StringBuilder();
        GenerationResult cut = session.generate(GenerationRequest.builder().prompt("so").maxTokens(12).greedy()
                .stop(List.of(stop)).build(), (id, piece) -> streamed.append(piece));
        assertThat(cut.stopReason()).isEqualTo(StopReason.STOP);
        assertThat(cut.text()).isEqualTo(text.substring(0, text.indexOf(stop)));
        assertThat(streamed.toString()).isEqualTo(cut.text());
    }

    @Test
    void evaluate_is_the_mean_next_token_loss_over_non_overlapping_blocks() throws IOException {
        String text = "to be, or not to be: that is the question.\nwhether 'tis nobler in the mind to suffer\n";
        Path corpus = Files.writeString(tmp.resolve("corpus.txt"), text);
        EvaluationResult r = session.evaluate(TextCorpus.of(corpus), Split.ALL);
        int[] ids = encode(text);
        double sum = 0;
        int block = CONFIG.nPositions();
        for (int s = 0; s < ids.length - 1; s += block) {
            int len = Math.min(block, ids.length - 1 - s);
            int[] x = Arrays.copyOfRange(ids, s, s + len + 1);
            sum += Gpt2Fixtures.referenceLoss(Gpt2Fixtures.referenceLogits(CONFIG, WEIGHTS,
                    Arrays.copyOf(x, len)), x, 0, len);
        }
        assertThat(r.tokens()).isEqualTo(ids.length - 1);
        assertThat(r.loss()).isCloseTo(sum / (ids.length - 1), within(1e-4));
        assertThat(r.perplexity()).isCloseTo(Math.exp(r.loss()), within(1e-9));
        assertThat(session.evaluate(TextCorpus.of(corpus), Split.ALL).loss()).isEqualTo(r.loss());
    }

    @Test
    void every_call_reports_one_event_with_the_model_version() {
        EVENTS.clear();
        session.logits(encode("abc"));
        session.generate(GenerationRequest.builder().prompt("abc").maxTokens(3).build());
        assertThatThrownBy(() -> session.logits(new int[] {999})).isInstanceOf(InvalidInputException.class);
        assertThat(EVENTS).extracting(InferenceEvent::operation).containsExactly(Operation.LOGITS, Operation.GENERATE, Operation.LOGITS);
        assertThat(EVENTS).allSatisfy(e -> {
            assertThat(e.backend()).isEqualTo("tf");
            assertThat(e.modelVersion()).isEqualTo("v-test");
            assertThat(e.device()).isEqualTo("cpu");
        });
        assertThat(EVENTS.get(1).outputTokens()).isEqualTo(3);
        assertThat(EVENTS.get(1).inputTokens()).isEqualTo(3);
        assertThat(EVENTS.get(1).outputs()).hasSize(1);
        assertThat(EVENTS.get(2).failed()).isTrue();
        assertThat(EVENTS.get(0).failed()).isFalse();
    }

    @Test
    void concurrent_calls_give_the_same_answers_as_sequential_ones() throws Exception {
        List<String> prompts = List.of("to be", "or not", "that is", "the question");
        List<int[]> expected = new ArrayList<>();
        for (String p : prompts) {
            expected.add(session.generate(GenerationRequest.builder().prompt(p).maxTokens(16).seed(3).build()).tokens());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String p : prompts) {
                    futures.add(pool.submit(() -> session.generate(
                            GenerationRequest.builder().prompt(p).maxTokens(16).seed(3).build()).tokens()));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get()).containsExactly(expected.get(i % prompts.size()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tokens_outside_the_vocabulary_or_the_context_are_refused_clearly() {
        assertThatThrownBy(() -> session.logits(new int[] {1, CONFIG.vocabSize()}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("token " + CONFIG.vocabSize() + " at position 1")
                .hasMessageContaining("vocabulary of " + CONFIG.vocabSize());
        assertThatThrownBy(() -> session.logits(new int[] {-1})).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> session.logits(new int[CONFIG.nPositions() + 1]))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(CONFIG.nPositions() + 1 + " tokens")
                .hasMessageContaining("n_positions");
        assertThatThrownBy(() -> session.logits(new int[0])).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void generation_runs_past_the_context_by_sliding_the_window_as_every_engine_does() {
        String prompt = "to be or not";
        int fits = CONFIG.nPositions() - prompt.length();
        GenerationResult inside = session.generate(GenerationRequest.builder().prompt(prompt).maxTokens(fits)
                .greedy().build());
        GenerationResult past = session.generate(GenerationRequest.builder().prompt(prompt).maxTokens(30)
                .greedy().build());
        assertThat(past.tokens()).hasSize(30);
        assertThat(java.util.Arrays.copyOf(past.tokens(), fits)).containsExactly(inside.tokens());
    }

    @Test
    void a_hub_style_checkpoint_without_the_prefix_and_with_mask_buffers_serves_the_same_logits(@TempDir Path dir) {
        Path f = Gpt2Fixtures.write(dir.resolve("hub"), CONFIG, WEIGHTS);
        List<Tensor> hub = new ArrayList<>();
        Gpt2Layout.shapes(CONFIG).forEach((name, shape) ->
                hub.add(Tensor.ofFloats(name.substring(Gpt2Layout.PREFIX.length()), shape, WEIGHTS.get(name))));
        int n = CONFIG.nPositions();
        for (int i = 0; i < CONFIG.nLayer(); i++) {
            hub.add(Tensor.ofFloats("h." + i + ".attn.bias", new long[] {1, 1, n, n}, new float[n * n]));
        }
        hub.add(Tensor.ofFloats("lm_head.weight", new long[] {CONFIG.vocabSize(), CONFIG.nEmbd()},
                WEIGHTS.get("transformer.wte.weight")));
        Safetensors.write(f.resolve(ModelFolder.WEIGHTS), hub, Map.of("format", "pt"));
        int[] ids = encode("whether");
        try (InferenceSession s = new TfBackendProvider().open(ModelRef.of(f), SessionOptions.defaults())) {
            float[][] got = s.logits(ids);
            float[][] want = session.logits(ids);
            for (int t = 0; t < ids.length; t++) {
                assertThat(got[t]).containsExactly(want[t], within(1e-6f));
            }
        }
    }

    @Test
    void a_missing_folder_is_named(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.of(missing), SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void corrupt_safetensors_give_a_checkpoint_error(@TempDir Path dir) throws IOException {
        Path f = Gpt2Fixtures.write(dir.resolve("m"), CONFIG, WEIGHTS);
        Path weights = f.resolve(ModelFolder.WEIGHTS);
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.of(f), SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(weights.getFileName().toString());
        Files.write(weights, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.of(f), SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class);
    }

    @Test
    void weights_that_do_not_fit_the_config_are_refused(@TempDir Path dir) {
        Path f = Gpt2Fixtures.write(dir.resolve("m"), CONFIG, WEIGHTS);
        Gpt2Config wider = Gpt2Fixtures.config(32, 64, 2, 4);
        ModelFolder.writeConfig(f, wider);
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.of(f), SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("do not fit the gpt2 config.json")
                .hasMessageContaining("transformer.wte.weight");
    }

    @Test
    void gpu_and_builtin_requests_name_what_to_use_instead() {
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.of(folder),
                SessionOptions.builder().device(Device.gpu(0)).build()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("CPU only");
        assertThatThrownBy(() -> new TfBackendProvider().open(ModelRef.builtin("all-minilm-l6-v2"),
                SessionOptions.defaults()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("gpt2 model folder");
    }

    @Test
    void calls_after_close_fail(@TempDir Path dir) {
        InferenceSession s = new TfBackendProvider().open(ModelRef.of(folder), SessionOptions.defaults());
        s.close();
        s.close();
        assertThatThrownBy(() -> s.logits(new int[] {1})).isInstanceOf(SessionClosedException.class)
                .hasMessageContaining("closed");
    }
}
