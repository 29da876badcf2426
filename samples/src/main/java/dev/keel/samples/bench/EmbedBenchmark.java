package dev.keel.samples.bench;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.runtime.KeelRuntime;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Embedding throughput and latency, Keel on ONNX Runtime versus LangChain4j's AllMiniLmL6V2EmbeddingModel,
 * side by side in one run (the machine is shared and noisy, so the ratio is the figure to read).
 *
 * <pre>
 *   java -cp ... dev.keel.samples.bench.EmbedBenchmark [--data ../shared/data] [--sentences 2000]
 *        [--rounds 3] [--batch 32] [--latency 200]
 * </pre>
 * Throughput: 2,000 SST-2 dev+test sentences, Keel {@code embed} in one call against LangChain4j
 * {@code embedAll}; each round runs both, alternating which goes first; the best round of each is reported.
 * Latency: one short sentence, p50 and p99 over many calls.
 */
public final class EmbedBenchmark {
    private EmbedBenchmark() { }

    public static void main(String[] args) throws IOException {
        Path data = Path.of(arg(args, "--data", "../shared/data"));
        int count = Integer.parseInt(arg(args, "--sentences", "2000"));
        int rounds = Integer.parseInt(arg(args, "--rounds", "3"));
        int batch = Integer.parseInt(arg(args, "--batch", "32"));
        int latencyCalls = Integer.parseInt(arg(args, "--latency", "200"));
        List<String> sentences = sst2(data, count);

        System.out.printf(Locale.ROOT, "machine: %d cores, %s (shared with other engineers: figures are noisy)%n",
                Runtime.getRuntime().availableProcessors(), cpuModel());
        System.out.printf(Locale.ROOT, "sentences: %d from SST-2 dev+test, batch %d, %d rounds%n",
                sentences.size(), batch, rounds);

        KeelRuntime keel = KeelRuntime.builder().backend("onnx").build();
        AllMiniLmL6V2EmbeddingModel langchain = new AllMiniLmL6V2EmbeddingModel();
        List<TextSegment> segments = sentences.stream().map(TextSegment::from).toList();
        EmbeddingOptions options = new EmbeddingOptions(true, 256);
        try (InferenceSession session = keel.open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.builder().maxBatchSize(batch).build())) {
            session.embed(sentences.subList(0, 64), options);
            langchain.embedAll(segments.subList(0, 64));

            double keelBest = Double.MAX_VALUE;
            double lcBest = Double.MAX_VALUE;
            double keelCpu = Double.MAX_VALUE;
            double lcCpu = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                double[] k;
                double[] l;
                if (r % 2 == 0) {
                    k = timeWithCpu(() -> session.embed(sentences, options));
                    l = timeWithCpu(() -> langchain.embedAll(segments));
                } else {
                    l = timeWithCpu(() -> langchain.embedAll(segments));
                    k = timeWithCpu(() -> session.embed(sentences, options));
                }
                System.out.printf(Locale.ROOT, "round %d: keel %.0f sentences/s (%.1f ms CPU per sentence), "
                        + "langchain4j %.0f sentences/s (%.1f ms CPU per sentence)%n", r + 1, sentences.size() / k[0],
                        k[1] * 1e3 / sentences.size(), sentences.size() / l[0], l[1] * 1e3 / sentences.size());
                keelBest = Math.min(keelBest, k[0]);
                lcBest = Math.min(lcBest, l[0]);
                keelCpu = Math.min(keelCpu, k[1]);
                lcCpu = Math.min(lcCpu, l[1]);
            }
            double flops = flops(session.tokenizer(), sentences, BertConfig.miniLmL6());
            System.out.printf(Locale.ROOT, "throughput: keel %.0f sentences/s, langchain4j %.0f sentences/s, "
                    + "ratio %.2fx%n", sentences.size() / keelBest, sentences.size() / lcBest, lcBest / keelBest);
            System.out.printf(Locale.ROOT, "process CPU time per pass: keel %.1f s, langchain4j %.1f s, ratio %.2fx "
                    + "(the fairer figure while other processes compete for the cores)%n", keelCpu, lcCpu,
                    lcCpu / keelCpu);
            System.out.printf(Locale.ROOT, "useful compute (real tokens, no padding): %.2f GFLOP per pass; "
                    + "keel %.1f GFLOP/s, langchain4j %.1f GFLOP/s%n", flops / 1e9, flops / keelBest / 1e9,
                    flops / lcBest / 1e9);

            String shortSentence = "a fine , funny film .";
            double[] keelLat = new double[latencyCalls];
            double[] lcLat = new double[latencyCalls];
            for (int i = 0; i < 20; i++) {
                session.embed(List.of(shortSentence), options);
                langchain.embed(shortSentence);
            }
            for (int i = 0; i < latencyCalls; i++) {
                keelLat[i] = time(() -> session.embed(List.of(shortSentence), options)) * 1e3;
                lcLat[i] = time(() -> langchain.embed(shortSentence)) * 1e3;
            }
            System.out.printf(Locale.ROOT, "latency, one short sentence (%d calls): keel p50 %.2f ms p99 %.2f ms; "
                    + "langchain4j p50 %.2f ms p99 %.2f ms%n", latencyCalls, pct(keelLat, 50), pct(keelLat, 99),
                    pct(lcLat, 50), pct(lcLat, 99));
        }
    }

    /**
     * Forward FLOPs over the real tokens: 2 per multiply-add of the linear layers for each token, plus the
     * attention products (QK^T and PV: 4 L^2 H per layer for a sentence of L tokens).
     */
    static double flops(Tokenizer tokenizer, List<String> sentences, BertConfig c) {
        double h = c.hiddenSize();
        double perTokenLinear = 2 * c.numHiddenLayers() * (4 * h * h + 2 * h * c.intermediateSize());
        double total = 0;
        for (String s : sentences) {
            int len = tokenizer.encodeForModel(s, 256).length();
            total += len * perTokenLinear + 4.0 * len * len * h * c.numHiddenLayers();
        }
        return total;
    }

    static List<String> sst2(Path data, int count) throws IOException {
        List<String> out = new ArrayList<>();
        for (String split : new String[] {"dev.tsv", "test.tsv"}) {
            Path file = data.resolve("sst2").resolve(split);
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(file + " is missing; pass --data pointing at shared/data");
            }
            for (String line : Files.readAllLines(file)) {
                int tab = line.indexOf('\t');
                out.add(tab >= 0 ? line.substring(0, tab) : line);
            }
        }
        return out.subList(0, Math.min(count, out.size()));
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Wall seconds and process CPU seconds (every thread, the engine's native ones included). */
    private static double[] timeWithCpu(Runnable r) {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        r.run();
        return new double[] {(System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - c0) / 1e9};
    }

    private static double pct(double[] values, double p) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }
}
