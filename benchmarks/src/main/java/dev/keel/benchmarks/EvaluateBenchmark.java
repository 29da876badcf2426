package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares {@code evaluate} throughput of several backends on one GPT-2 folder in one run: nanoGPT's CPU
 * configuration (4 layers, 4 heads, 128 wide, 64 positions, character vocabulary of the corpus) with
 * nanoGPT-initialised weights, over the validation split. Runs alternate between backends so machine noise
 * hits each alike; prints tokens/s per run, the medians and their ratio.
 *
 * <pre>
 * java -cp ... dev.keel.benchmarks.EvaluateBenchmark [corpus.txt] [backends, e.g. djl,tf] [runs] [threads]
 * </pre>
 */
public final class EvaluateBenchmark {
    private EvaluateBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args.length > 0 ? args[0] : "../shared/data/tinyshakespeare/input.txt");
        List<String> names = List.of((args.length > 1 ? args[1] : "djl,tf").split(","));
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;

        TextCorpus text = TextCorpus.of(corpus);
        CharTokenizer tokenizer = CorpusTokenizer.charVocabulary(text);
        Gpt2Config config = Gpt2Config.builder().vocabSize(tokenizer.vocabSize()).blockSize(64).embedding(128)
                .layers(4).heads(4).build();
        Path model = Files.createTempDirectory("keel-eval-bench");
        ModelFolder.write(model, config, Gpt2Layout.nanoGptInit(config, 1337), tokenizer,
                KeelMetadata.create("benchmark", "random").withVersion("bench"));

        Backends backends = Backends.discover();
        Map<String, InferenceSession> sessions = new LinkedHashMap<>();
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (String name : names) {
            BackendProvider p = backends.find(name).orElseThrow(() -> new IllegalArgumentException(
                    "no backend '" + name + "' on the class path; found " + backends.inventory()));
            sessions.put(name, p.open(ModelRef.of(model), SessionOptions.builder().threads(threads).build()));
            rates.put(name, new ArrayList<>());
        }
        System.out.printf(Locale.ROOT, "model: gpt2 %d layers, %d heads, %d wide, %d positions, vocab %d (%,d params)%n",
                config.nLayer(), config.nHead(), config.nEmbd(), config.nPositions(), config.vocabSize(),
                config.parameterCount());
        System.out.printf(Locale.ROOT, "corpus: %s, split val; threads %d; %d timed runs after one warm-up%n",
                corpus, threads, runs);
        Map<String, Double> losses = new LinkedHashMap<>();
        for (int run = 0; run <= runs; run++) {
            for (var e : sessions.entrySet()) {
                long t0 = System.nanoTime();
                EvaluationResult r = e.getValue().evaluate(text, Split.VAL);
                double seconds = (System.nanoTime() - t0) / 1e9;
                losses.put(e.getKey(), r.loss());
                if (run > 0) {
                    rates.get(e.getKey()).add(r.tokens() / seconds);
                    System.out.printf(Locale.ROOT, "run %d %-5s loss %.6f  %,d tokens  %.2f s  %,.0f tokens/s%n",
                            run, e.getKey(), r.loss(), r.tokens(), seconds, r.tokens() / seconds);
                }
            }
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        rates.forEach((k, v) -> medians.put(k, median(v)));
        medians.forEach((k, v) -> System.out.printf(Locale.ROOT, "median %-5s %,.0f tokens/s (loss %.6f)%n",
                k, v, losses.get(k)));
        if (names.size() >= 2) {
            String a = names.get(0);
            String b = names.get(1);
            System.out.printf(Locale.ROOT, "ratio %s/%s = %.2f%n", b, a, medians.get(b) / medians.get(a));
        }
        sessions.values().forEach(InferenceSession::close);
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
