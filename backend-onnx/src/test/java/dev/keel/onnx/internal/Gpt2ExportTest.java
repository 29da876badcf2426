package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
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
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.infer.Sampler;
import dev.keel.spi.tck.KitModels;
import dev.keel.spi.tck.ReferenceGpt2;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2ExportTest {
    static final String TEXT = "the quick brown fox jumps over the lazy dog\n";

    @TempDir
    Path dir;

    @BeforeEach
    void isolateCaches() {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(dev.keel.spi.KeelCache.PROPERTY);
    }

    static Gpt2Config config(boolean bias) {
        return Gpt2Config.builder().vocabSize(CharTokenizer.fromText(TEXT).vocabSize()).blockSize(8).embedding(16)
                .layers(2).heads(2).bias(bias).build();
    }

    Path folder(String name, Gpt2Config c, long seed) {
        Path f = dir.resolve(name);
        ModelFolder.write(f, c, KitModels.randomGpt2(c, seed).values(), CharTokenizer.fromText(TEXT),
                KeelMetadata.create("test", "pretrain"));
        return f;
    }

    static ReferenceGpt2 reference(Path folder, Gpt2Config c) {
        Map<String, Tensor> t = new LinkedHashMap<>(ModelFolder.readWeights(folder).tensors());
        return new ReferenceGpt2(c, t);
    }

    @Test
    void exported_graph_logits_match_a_plain_java_forward_pass() {
        for (boolean bias : new boolean[] {true, false}) {
            Gpt2Config c = config(bias);
            Path f = folder("m" + bias, c, 7);
            int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
            float[][] expected = reference(f, c).logits(tokens);
            try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f), SessionOptions.defaults())) {
                float[][] got = s.logits(tokens);
                assertThat(got).hasNumberOfRows(tokens.length);
                for (int p = 0; p < tokens.length; p++) {
                    for (int v = 0; v < c.vocabSize(); v++) {
                        assertThat((double) got[p][v]).as("bias=%s pos %d token %d", bias, p, v)
                                .isCloseTo(expected[p][v], org.assertj.core.data.Offset.offset(1e-4));
                    }
                }
            }
        }
    }

    @Test
    void graphs_and_tokens_derived_from_a_folder_go_under_the_configured_cache_root_only() throws Exception {
        Gpt2Config c = config(true);
        Path f = folder("cached", c, 3);
        Path corpus = dir.resolve("cached-corpus.txt");
        Files.writeString(corpus, TEXT.repeat(3));
        dev.keel.spi.KeelCache cache = dev.keel.spi.KeelCache.at(dir.resolve("host-cache"));
        try (InferenceSession s = new OnnxBackendProvider().withCache(cache).open(ModelRef.of(f), SessionOptions.defaults())) {
            s.evaluate(TextCorpus.of(corpus), Split.ALL);
        }
        try (var graphs = Files.walk(cache.engine("onnx"))) {
            assertThat(graphs.filter(p -> p.getFileName().toString().equals("model.onnx")).count()).isEqualTo(1);
        }
        try (var tokens = Files.list(cache.tokens())) {
            assertThat(tokens.filter(p -> p.toString().endsWith(".tokens")).count()).isEqualTo(1);
        }
        assertThat(f.resolve("model.onnx")).as("the model folder itself is left as it was").doesNotExist();
        assertThat(dir.resolve("cache")).as("nothing goes to the JVM-wide default").doesNotExist();
    }

    @Test
    void greedy_generation_with_the_cache_equals_full_recomputation_of_a_sliding_window() {
        Gpt2Config c = config(true);
        Path f = folder("gen", c, 11);
        ReferenceGpt2 ref = reference(f, c);
        CharTokenizer tok = CharTokenizer.fromText(TEXT);
        int[] prompt = tok.encode("the");
        List<Integer> context = new ArrayList<>();
        for (int t : prompt) {
            context.add(t);
        }
        List<Integer> expected = new ArrayList<>();
        // the window: the whole context until it fills (8), then its newer half plus each new token
        List<Integer> window = new ArrayList<>(context);
        for (int step = 0; step < 12; step++) {
            int[] all = window.stream().mapToInt(Integer::intValue).toArray();
            int best = Sampler.argmax(ref.logits(all)[all.length - 1]);
            expected.add(best);
            if (window.size() == c.nPositions()) {
                window = new ArrayList<>(window.subList(c.nPositions() / 2, c.nPositions()));
            }
            window.add(best);
        }
        List<InferenceEvent> events = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f),
                SessionOptions.builder().listener(events::add).build())) {
            GenerationResult r = s.generate(GenerationRequest.builder().prompt("the").maxTokens(12).greedy().build(),
                    (id, piece) -> streamed.append(piece));
            assertThat(r.tokens()).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
            assertThat(r.text()).isEqualTo(tok.decode(r.tokens())).isEqualTo(streamed.toString());
            assertThat(r.stopReason()).isEqualTo(StopReason.LENGTH);
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.operation()).isEqualTo(Operation.GENERATE);
                assertThat(e.outputTokens()).isEqualTo(12);
                assertThat(e.inputTokens()).isEqualTo(3);
                assertThat(e.timeToFirstTokenNanos()).isPositive();
            });
            GenerationRequest sampled = GenerationRequest.builder().prompt("the").maxTokens(5).temperature(0.8)
                    .topK(5).topP(0.9).seed(3).build();
            assertThat(s.generate(sampled).tokens()).as("a seed repeats a sample exactly")
                    .containsExactly(s.generate(sampled).tokens());
        }
    }

    @Test
    void evaluation_scores_every_next_token_once_and_matches_the_reference() throws Exception {
        Gpt2Config c = config(true);
        Path f = folder("eval", c, 5);
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TEXT.repeat(3));
        CharTokenizer tok = CharTokenizer.fromText(TEXT);
        int[] all = tok.encode(TEXT.repeat(3));
        ReferenceGpt2 ref = reference(f, c);
        double sum = 0;
        int scored = 0;
        for (int start = 0; start < all.length - 1; start += c.nPositions()) {
            int len = Math.min(c.nPositions(), all.length - 1 - start);
            float[][] logits = ref.logits(java.util.Arrays.copyOfRange(all, start, start + len));
            for (int p = 0; p < len; p++) {
                sum += Gpt2OnnxSession.crossEntropy(logits[p], 0, c.vocabSize(), all[start + p + 1]);
                scored++;
            }
        }
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f),
                SessionOptions.builder().maxBatchSize(3).build())) {
            EvaluationResult r = s.evaluate(TextCorpus.of(corpus), Split.ALL);
            assertThat(r.tokens()).isEqualTo(all.length - 1).isEqualTo(scored);
            assertThat(r.loss()).isCloseTo(sum / scored, org.assertj.core.data.Offset.offset(1e-5));
            assertThat(r.perplexity()).isCloseTo(Math.exp(r.loss()), org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void export_writes_a_folder_that_serves_on_onnx_and_still_loads_elsewhere() {
        Gpt2Config c = config(true);
        Path f = folder("src", c, 9);
        Path out = new OnnxBackendProvider().export(ModelRef.of(f), dir.resolve("exported"));
        assertThat(out.resolve("model.onnx")).exists();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("keel-tokenizer.json")).exists();
        assertThat(ModelFolder.readConfig(out)).isEqualTo(c);
        int[] tokens = {1, 2, 3};
        try (InferenceSession a = new OnnxBackendProvider().open(ModelRef.of(f), SessionOptions.defaults());
                InferenceSession b = new OnnxBackendProvider().open(ModelRef.of(out), SessionOptions.defaults())) {
            assertThat(b.logits(tokens)).isDeepEqualTo(a.logits(tokens));
        }
        assertThatThrownBy(() -> new OnnxBackendProvider().export(ModelRef.of(f), f))
                .as("never into the model folder itself").isInstanceOf(dev.keel.api.InvalidInputException.class)
                .hasMessageContaining("is the model folder");
        assertThatThrownBy(() -> new OnnxBackendProvider().export(ModelRef.of(f), out))
                .as("never over an earlier export").isInstanceOf(dev.keel.api.InvalidInputException.class)
                .hasMessageContaining("is not empty");
        assertThat(f.resolve("model.onnx")).doesNotExist();
    }

    @Test
    void a_folder_with_a_broken_tokenizer_is_refused_before_anything_is_written() throws Exception {
        Path f = folder("broken", config(true), 4);
        java.nio.file.Files.writeString(f.resolve("keel-tokenizer.json"), "{ garbage");
        assertThatThrownBy(() -> new OnnxBackendProvider().export(ModelRef.of(f), dir.resolve("never")))
                .isInstanceOf(dev.keel.api.CheckpointException.class).hasMessageContaining("keel-tokenizer.json");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void a_folder_trained_again_after_an_export_never_serves_the_stale_graph() throws Exception {
        Gpt2Config c = config(true);
        Path f = folder("retrained", c, 2);
        OnnxExport.writeGraph(f, c, f.resolve(OnnxModel.GRAPH)); // a graph exported into the folder earlier
        int[] tokens = {1, 2, 3, 4};
        float[][] before;
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f), SessionOptions.defaults())) {
            before = s.logits(tokens);
        }
        Thread.sleep(20); // a later modification time than the graph's
        ModelFolder.write(f, c, KitModels.randomGpt2(c, 3).values(), CharTokenizer.fromText(TEXT),
                KeelMetadata.create("test", "pretrain"));
        float[][] expected = reference(f, c).logits(tokens);
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f), SessionOptions.defaults())) {
            float[][] after = s.logits(tokens);
            assertThat(after[0][0]).isNotEqualTo(before[0][0]);
            assertThat((double) after[3][5]).isCloseTo(expected[3][5], org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void bad_input_names_the_problem() {
        Gpt2Config c = config(true);
        Path f = folder("bad", c, 1);
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(f), SessionOptions.defaults())) {
            assertThatThrownBy(() -> s.logits(new int[] {1, 99})).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("token 99");
            assertThatThrownBy(() -> s.logits(new int[9])).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("context of 8");
            assertThatThrownBy(() -> s.generate(GenerationRequest.of("€", 2))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> s.evaluate(TextCorpus.of(dir.resolve("missing.txt")), Split.VAL))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("missing.txt");
            assertThatThrownBy(() -> s.embed(List.of("ab", ""))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("text 1 is empty");
        }
        assertThatThrownBy(() -> new OnnxBackendProvider().export(ModelRef.parse("builtin:all-minilm-l6-v2"), dir))
                .isInstanceOf(InvalidInputException.class);
    }
}
