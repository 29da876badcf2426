package dev.keel.benchmarks;

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
 *   java -cp ... dev.keel.benchmarks.EmbedBenchmark [--data ../shared/data] [--sentences 2000]
 *        [--rounds 3] [--batch 32] [--latency 200]
 * </pre>
 * Throughput: 2,000 SST-2 dev+test sentences, Keel {@code embed} in one call (float, and the int8 variant)
 * against LangChain4j {@code embedAll}; each round runs all three, rotating which goes first; the best round
 * of each is reported, in wall time and in process CPU time.
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
        SessionOptions sessionOptions = SessionOptions.builder().maxBatchSize(batch).build();
        try (InferenceSession session = keel.open(ModelRef.parse("builtin:all-minilm-l6-v2"), sessionOptions);
                InferenceSession int8 = keel.open(ModelRef.parse("builtin:all-minilm-l6-v2-int8"), sessionOptions)) {
            session.embed(sentences.subList(0, 64), options);
            int8.embed(sentences.subList(0, 64), options);
            langchain.embedAll(segments.subList(0, 64));

            List<String> names = List.of("keel", "keel int8", "langchain4j");
            List<Runnable> runs = List.of(() -> session.embed(sentences, options), () -> int8.embed(sentences, options),
                    () -> langchain.embedAll(segments));
            double[] wall = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            double[] cpu = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            for (int r = 0; r < rounds; r++) {
                StringBuilder line = new StringBuilder("round " + (r + 1) + ":");
                for (int k = 0; k < runs.size(); k++) {
                    int i = (k + r) % runs.size(); // rotate who goes first
                    double[] t = timeWithCpu(runs.get(i));
                    wall[i] = Math.min(wall[i], t[0]);
                    cpu[i] = Math.min(cpu[i], t[1]);
                    line.append(String.format(Locale.ROOT, "  %s %.0f sentences/s (%.1f ms CPU each)", names.get(i),
                            sentences.size() / t[0], t[1] * 1e3 / sentences.size()));
                }
                System.out.println(line);
            }
            double n = sentences.size();
            System.out.printf(Locale.ROOT, "throughput (best round): keel %.0f, keel int8 %.0f, langchain4j %.0f "
                    + "sentences/s; ratio keel/langchain4j %.2fx, keel int8/langchain4j %.2fx%n", n / wall[0],
                    n / wall[1], n / wall[2], wall[2] / wall[0], wall[2] / wall[1]);
            System.out.printf(Locale.ROOT, "process CPU time per pass: keel %.1f s, keel int8 %.1f s, langchain4j %.1f s;"
                    + " ratio %.2fx and %.2fx (the fairer figure while other processes compete for the cores)%n",
                    cpu[0], cpu[1], cpu[2], cpu[2] / cpu[0], cpu[2] / cpu[1]);
            double flops = flops(session.tokenizer(), sentences, BertConfig.miniLmL6());
            System.out.printf(Locale.ROOT, "useful compute (real tokens, no padding): %.0f GFLOP per pass; per wall "
                    + "second keel %.1f, langchain4j %.1f GFLOP/s; per CPU second keel %.1f, langchain4j %.1f "
                    + "GFLOP/s%n", flops / 1e9, flops / wall[0] / 1e9, flops / wall[2] / 1e9, flops / cpu[0] / 1e9,
                    flops / cpu[2] / 1e9);
            float[][] exact = session.embed(sentences, options).vectors();
            float[][] approx = int8.embed(sentences, options).vectors();
            double min = 1;
            double mean = 0;
            for (int i = 0; i < exact.length; i++) {
                double c = dot(exact[i], approx[i]);
                min = Math.min(min, c);
                mean += c / exact.length;
            }
            System.out.printf(Locale.ROOT, "int8 vs float vectors: mean cosine %.4f, min %.4f%n", mean, min);

            String shortSentence = "a fine , funny film .";
            double[][] lat = new double[3][latencyCalls];
            List<Runnable> one = List.of(() -> session.embed(List.of(shortSentence), options),
                    () -> int8.embed(List.of(shortSentence), options), () -> langchain.embed(shortSentence));
            for (int i = 0; i < 20; i++) {
                one.forEach(Runnable::run);
            }
            for (int i = 0; i < latencyCalls; i++) {
                for (int k = 0; k < 3; k++) {
                    lat[k][i] = time(one.get(k)) * 1e3;
                }
            }
            System.out.printf(Locale.ROOT, "latency, one short sentence (%d calls): keel p50 %.2f ms p99 %.2f ms; "
                    + "keel int8 p50 %.2f ms p99 %.2f ms; langchain4j p50 %.2f ms p99 %.2f ms%n", latencyCalls,
                    pct(lat[0], 50), pct(lat[0], 99), pct(lat[1], 50), pct(lat[1], 99), pct(lat[2], 50),
                    pct(lat[2], 99));
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
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
