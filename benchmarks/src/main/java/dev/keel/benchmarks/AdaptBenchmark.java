package dev.keel.benchmarks;

import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares the three adaptation methods on SST-2 (train to dev) in one run, all-MiniLM-L6-v2 as the base:
 * {@code head} (Java head over ONNX Runtime embeddings), {@code lora} and {@code full} (DJL). Each method
 * runs {@code keel adapt} in its own JVM under {@code /usr/bin/time}, so wall time and peak resident memory
 * belong to that method alone; then each adapted folder classifies hand-written product, film and restaurant
 * reviews it never saw ({@code unseen-reviews.tsv}) and SST-2's test split, which no run looks at while
 * training (dev picks the kept weights, so test is the unbiased figure). Prints one table and every command
 * it ran.
 *
 * <pre>
 * java -cp samples/target/classes:CLI_CLASSPATH dev.keel.benchmarks.AdaptBenchmark [sst2 dir] [work dir] [methods]
 * </pre>
 * The defaults are the settings that reach the goals on all 67,349 training phrases: head 20 epochs
 * with early stopping (about 2 minutes on 2 cores), lora (PEFT's defaults: r 8 on query and value) 3 epochs
 * (about an hour), {@code lora-all} (r 8 on every linear layer, 2 epochs, about 18 minutes idle), full 2
 * epochs (about 75 minutes). Methods run in the order given; the default list is head,lora,lora-all,full. For a quick look, train on a subset or fewer epochs with {@code -Dkeel.bench.lora=N} /
 * {@code full=N} / {@code head=N} (training examples, 0 = all) and {@code -Dkeel.bench.lora.epochs=E} /
 * {@code full.epochs=E}. The dev accuracy printed is that of the weights kept:
 * the best of the evaluations every 500 steps (early stopping on dev, as the adapter does by default).
 */
public final class AdaptBenchmark {
    private AdaptBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path sst2 = Path.of(args.length > 0 ? args[0] : "../shared/data/sst2");
        Path work = Path.of(args.length > 1 ? args[1] : "target/adapt-bench");
        List<String> methods = List.of((args.length > 2 ? args[2] : "head,lora,lora-all,full").split(","));
        Files.createDirectories(work);
        Path unseen = work.resolve("unseen-reviews.tsv");
        try (InputStream in = AdaptBenchmark.class.getResourceAsStream("unseen-reviews.tsv")) {
            Files.write(unseen, in.readAllBytes());
        }
        Map<String, List<String>> settings = new LinkedHashMap<>();
        settings.put("head", List.of("--limit", System.getProperty("keel.bench.head", "0"), "--epochs", "20",
                "--lr", "1e-3", "--patience", "3"));
        settings.put("lora", List.of("--limit", System.getProperty("keel.bench.lora", "0"), "--epochs",
                System.getProperty("keel.bench.lora.epochs", "3"), "--lr", "2e-3", "--eval-every", "500", "--patience", "0", "--max-length", "64"));
        settings.put("lora-all", List.of("--lora-targets", "query,key,value,dense", "--limit",
                System.getProperty("keel.bench.lora", "0"), "--epochs", System.getProperty("keel.bench.lora.epochs", "2"),
                "--lr", "1e-3", "--eval-every", "500", "--patience", "0", "--max-length", "64"));
        settings.put("full", List.of("--limit", System.getProperty("keel.bench.full", "0"), "--epochs",
                System.getProperty("keel.bench.full.epochs", "2"), "--lr", "1e-4", "--eval-every", "500", "--patience", "0", "--max-length", "64"));
        List<String> rows = new ArrayList<>();
        rows.add(String.format("%-8s %8s %8s %11s %11s %8s %9s %8s %8s", "method", "dev_acc", "test_acc", "trainable",
                "total", "wall_s", "peak_MB", "unseen", "cls/s"));
        for (String method : methods) {
            Path out = work.resolve(method);
            AtomicFiles.deleteTree(out);
            if (!settings.containsKey(method)) {
                throw new IllegalArgumentException("unknown method " + method + "; use some of " + settings.keySet());
            }
            List<String> adapt = new ArrayList<>(List.of("adapt", "--base", "builtin:all-minilm-l6-v2", "--method",
                    method.replace("-all", ""), "--train", sst2.resolve("train.tsv").toString(), "--dev", sst2.resolve("dev.tsv").toString(),
                    "--out", out.toString(), "--json"));
            adapt.addAll(settings.get(method));
            Run a = keel(adapt);
            Run c = keel(List.of("classify", "--model", out.toString(), "--input", unseen.toString(), "--out",
                    work.resolve(method + "-unseen.jsonl").toString(), "--json"));
            Run t = keel(List.of("classify", "--model", out.toString(), "--input", sst2.resolve("test.tsv").toString(),
                    "--json"));
            rows.add(String.format("%-8s %8.4f %8.4f %,11d %,11d %8.0f %9.0f %8.3f %8.1f", method,
                    number(a.json, "dev_accuracy"), number(t.json, "accuracy"), (long) number(a.json, "trainable_params"),
                    (long) number(a.json, "total_params"), a.wallSeconds, a.peakKb / 1024.0, number(c.json, "accuracy"),
                    number(c.json, "sentences_per_s")));
            System.out.println("  per-review predictions: " + work.resolve(method + "-unseen.jsonl"));
        }
        System.out.println();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores; shared with other "
                + "engineers during the run (load varies), so times are indicative");
        rows.forEach(System.out::println);
    }

    /** One child JVM's result: its last stdout line as JSON, wall time and peak RSS. */
    record Run(Map<String, Object> json, double wallSeconds, long peakKb) { }

    static Run keel(List<String> args) throws IOException, InterruptedException {
        Path timeFile = Files.createTempFile("keel-time", ".txt");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %M", "-o", timeFile.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), "dev.keel.cli.KeelCli"));
        cmd.addAll(args);
        System.out.println("$ keel " + String.join(" ", args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().putIfAbsent("MALLOC_MMAP_THRESHOLD_", "4294967296");
        pb.environment().putIfAbsent("MALLOC_TRIM_THRESHOLD_", "4294967296");
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException("keel " + args.get(0) + " exited with " + rc);
        }
        String[] lines = stdout.strip().split("\n");
        String[] time = Files.readString(timeFile).strip().split("\\s+");
        Files.delete(timeFile);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = new com.google.gson.Gson().fromJson(lines[lines.length - 1], Map.class);
        System.out.println("  " + lines[lines.length - 1]);
        return new Run(json, Double.parseDouble(time[time.length - 2]), Long.parseLong(time[time.length - 1]));
    }

    private static double number(Map<String, Object> json, String key) {
        return json.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
