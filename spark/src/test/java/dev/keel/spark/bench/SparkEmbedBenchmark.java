package dev.keel.spark.bench;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spark.ExecutorModels;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.ModelSpec;
import dev.keel.spark.TextEmbedder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Embedding throughput of all-MiniLM-L6-v2 over N sentences (SST-2 train phrases, repeated to reach N), one
 * configuration per JVM so memory figures are its own:
 * <pre>
 * java -cp ... dev.keel.spark.bench.SparkEmbedBenchmark plain|local[1]|local[2] N [threads]
 * </pre>
 * {@code plain} is what {@code keel embed} does in one JVM (chunks of 512 lines into one session); the
 * Spark modes run {@link TextEmbedder} with {@code N / 512} partitions and count the vectors. Prints
 * sentences/s, model loads in the executor JVM, and peak heap and resident memory of the JVM (in local mode
 * the executor is the driver's JVM, so these are the executor's).
 */
public final class SparkEmbedBenchmark {
    private SparkEmbedBenchmark() { }

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Path data = Path.of(System.getProperty("keel.shared.data", "../shared/data"), "sst2", "train.tsv");
        List<String> phrases = Files.readAllLines(data).stream().map(l -> l.substring(0, l.lastIndexOf('\t'))).toList();
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; texts.size() < n; i++) {
            texts.add(phrases.get(i % phrases.size()));
        }
        Path input = Files.createTempFile("keel-bench-", ".txt");
        Files.write(input, texts);
        ModelSpec spec = ModelSpec.of("builtin:all-minilm-l6-v2").withThreads(threads);
        long start;
        long count;
        long loads;
        if (mode.equals("plain")) {
            try (InferenceSession s = KeelRuntime.builder().build().open(ModelRef.parse(spec.model()),
                    SessionOptions.builder().threads(threads).build())) {
                s.embed(texts.subList(0, 64)); // warm-up, as the Spark runs warm up in their first batch
                start = System.nanoTime();
                count = 0;
                for (int from = 0; from < n; from += 512) {
                    count += s.embed(texts.subList(from, Math.min(n, from + 512)), EmbeddingOptions.defaults())
                            .vectors().length;
                }
            }
            loads = 1;
        } else {
            SparkSession spark = KeelSpark.local(mode, "keel-embed-benchmark");
            Dataset<Row> lines = spark.read().text(input.toString()).repartition(Math.max(1, n / 512));
            lines.cache().count();
            spark.createDataset(List.of("warm up"), Encoders.STRING()).toDF("value")
                    .transform(df -> new TextEmbedder(spec).setInputCol("value").transform(df)).count();
            start = System.nanoTime();
            count = new TextEmbedder(spec).setInputCol("value").transform(lines)
                    .map((MapFunction<Row, Integer>) r -> r.getList(1).size(), Encoders.INT()).count();
            loads = ExecutorModels.loads();
            spark.stop();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        String rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .findFirst().orElse("VmHWM: ?").replaceAll("\\s+", " ");
        System.out.printf(Locale.ROOT, "mode=%s threads=%d sentences=%d seconds=%.1f sentences_per_s=%.1f model_loads=%d "
                + "heap_peak_mb=%d %s%n", mode, threads, count, seconds, count / seconds, loads, heapPeak >> 20, rss);
        Files.deleteIfExists(input);
    }
}
