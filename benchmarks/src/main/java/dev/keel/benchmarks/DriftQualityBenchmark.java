package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.EmbeddingDrift;
import dev.keel.monitors.drift.FeatureDrift;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * How often descriptor drift (and, with {@code --embed}, embedding drift on MiniLM) raises a false alarm on
 * same-distribution samples and how often it catches real shifts, over 100 random draws each:
 * <ul>
 *   <li>same distribution: halves of SST-2 dev; and two disjoint samples of n from SST-2 dev+test sentences
 *       at n = 100, 1,000 and 1,200 (the last above Evidently's 1,000-row switch to distances);</li>
 *   <li>real shifts at n = 100 and 1,000: SST-2 sentences against Tiny Shakespeare lines, and the shorter
 *       half of SST-2 sentences against the longer half.</li>
 * </ul>
 * A draw alarms when the samples drift by the dataset rule (half of the features drifted); the per-feature
 * alarm rate is printed too.
 *
 * <pre>
 * java -cp ... dev.keel.benchmarks.DriftQualityBenchmark [shared/data] [--embed]
 * </pre>
 */
public final class DriftQualityBenchmark {
    private static final int DRAWS = 100;

    private DriftQualityBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 && !args[0].startsWith("--") ? args[0] : "../shared/data");
        boolean embed = List.of(args).contains("--embed");
        List<String> dev = texts(data.resolve("sst2/dev.tsv"));
        List<String> pool = new ArrayList<>(dev);
        pool.addAll(texts(data.resolve("sst2/test.tsv")));
        List<String> shakespeare = Files.readAllLines(data.resolve("tinyshakespeare/input.txt")).stream()
                .filter(l -> !l.isBlank()).toList();
        List<String> bySize = new ArrayList<>(pool);
        bySize.sort(Comparator.comparingInt(String::length));
        List<String> shortHalf = bySize.subList(0, bySize.size() / 2);
        List<String> longHalf = bySize.subList(bySize.size() / 2, bySize.size());
        System.out.printf(Locale.ROOT, "SST-2 dev %d, dev+test %d sentences; Tiny Shakespeare %d lines; %d draws each%n",
                dev.size(), pool.size(), shakespeare.size(), DRAWS);
        System.out.printf(Locale.ROOT, "%-44s %6s %10s %12s %10s  %s%n", "experiment", "n", "alarm rate",
                "feature rate", "ms/draw", "tests chosen");

        run("same: halves of SST-2 dev", dev.size() / 2, r -> halves(dev, r));
        for (int n : new int[] {100, 1000, 1200}) {
            run("same: two samples of SST-2 dev+test", n, r -> disjoint(pool, n, r));
        }
        for (int n : new int[] {100, 1000}) {
            run("shift: SST-2 vs Tiny Shakespeare lines", n, r -> List.of(sample(pool, n, r), sample(shakespeare, n, r)));
            run("shift: short vs long SST-2 sentences", n, r -> List.of(sample(shortHalf, n, r), sample(longHalf, n, r)));
        }
        if (embed) {
            embeddingDrift(dev, pool, shakespeare, shortHalf, longHalf);
        }
    }

    private interface Draw {
        List<List<String>> pair(Random r);
    }

    private static void run(String name, int n, Draw draw) {
        int alarms = 0;
        long featureAlarms = 0;
        long features = 0;
        Map<String, Integer> chosen = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        for (int d = 0; d < DRAWS; d++) {
            List<List<String>> p = draw.pair(new Random(1000L + d));
            DriftReport report = TextDrift.compare(p.get(0), p.get(1));
            alarms += report.drift() ? 1 : 0;
            featureAlarms += report.driftedCount();
            features += report.tests().size();
            for (FeatureDrift t : report.tests()) {
                chosen.merge(t.method().id(), 1, Integer::sum);
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6 / DRAWS;
        System.out.printf(Locale.ROOT, "%-44s %6d %9.0f%% %11.1f%% %10.1f  %s%n", name, n, 100.0 * alarms / DRAWS,
                100.0 * featureAlarms / features, ms, chosen.keySet());
    }

    private static void embeddingDrift(List<String> dev, List<String> pool, List<String> shakespeare,
            List<String> shortHalf, List<String> longHalf) {
        System.out.println();
        System.out.println("embedding drift on all-MiniLM-L6-v2 (domain classifier AUC > max(0.55, null 95th percentile))");
        Map<String, float[]> cache = new HashMap<>();
        List<String> lines = sample(shakespeare, 1000, new Random(7));
        try (InferenceSession session = KeelRuntime.builder().build().open(ModelRef.builtin("all-minilm-l6-v2"))) {
            List<String> all = new ArrayList<>(pool);
            all.addAll(lines);
            long t0 = System.nanoTime();
            for (int i = 0; i < all.size(); i += 32) {
                List<String> batch = all.subList(i, Math.min(all.size(), i + 32));
                float[][] v = session.embed(batch).vectors();
                for (int k = 0; k < v.length; k++) {
                    cache.put(batch.get(k), v[k]);
                }
            }
            System.out.printf(Locale.ROOT, "embedded %d texts in %.1f s%n", all.size(), (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "%-44s %6s %10s %10s %10s %10s%n", "experiment", "n", "AUC alarm", "mean AUC",
                "MMD alarm", "ms/draw");
        runEmbedding("same: halves of SST-2 dev", dev.size() / 2, r -> halves(dev, r), cache, 100);
        runEmbedding("same: two samples of SST-2 dev+test", 100, r -> disjoint(pool, 100, r), cache, 100);
        runEmbedding("same: two samples of SST-2 dev+test", 1000, r -> disjoint(pool, 1000, r), cache, 20);
        for (int n : new int[] {100, 1000}) {
            int draws = n == 100 ? 100 : 20;
            runEmbedding("shift: SST-2 vs Tiny Shakespeare lines", n, r -> List.of(sample(pool, n, r), sample(lines, n, r)),
                    cache, draws);
            runEmbedding("shift: short vs long SST-2 sentences", n, r -> List.of(sample(shortHalf, n, r),
                    sample(longHalf, n, r)), cache, draws);
        }
    }

    private static void runEmbedding(String name, int n, Draw draw, Map<String, float[]> cache, int draws) {
        int aucAlarms = 0;
        int mmdAlarms = 0;
        double aucSum = 0;
        long t0 = System.nanoTime();
        for (int d = 0; d < draws; d++) {
            List<List<String>> p = draw.pair(new Random(2000L + d));
            float[][] a = p.get(0).stream().map(cache::get).toArray(float[][]::new);
            float[][] b = p.get(1).stream().map(cache::get).toArray(float[][]::new);
            EmbeddingDrift.DomainClassifierResult auc = EmbeddingDrift.domainClassifier(a, b, d);
            EmbeddingDrift.MmdResult mmd = EmbeddingDrift.mmd(a, b, 100, 300, d);
            aucAlarms += auc.drifted() ? 1 : 0;
            mmdAlarms += mmd.drifted() ? 1 : 0;
            aucSum += auc.auc();
        }
        System.out.printf(Locale.ROOT, "%-44s %6d %9.0f%% %10.3f %9.0f%% %10.0f   (%d draws)%n", name, n,
                100.0 * aucAlarms / draws, aucSum / draws, 100.0 * mmdAlarms / draws,
                (System.nanoTime() - t0) / 1e6 / draws, draws);
    }

    private static List<List<String>> halves(List<String> texts, Random r) {
        List<String> s = new ArrayList<>(texts);
        Collections.shuffle(s, r);
        return List.of(s.subList(0, s.size() / 2), s.subList(s.size() / 2, s.size() / 2 * 2));
    }

    private static List<List<String>> disjoint(List<String> texts, int n, Random r) {
        List<String> s = new ArrayList<>(texts);
        Collections.shuffle(s, r);
        return List.of(s.subList(0, n), s.subList(n, 2 * n));
    }

    private static List<String> sample(List<String> texts, int n, Random r) {
        List<String> s = new ArrayList<>(texts);
        Collections.shuffle(s, r);
        return s.subList(0, Math.min(n, s.size()));
    }

    private static List<String> texts(Path tsv) throws Exception {
        return Files.readAllLines(tsv).stream().filter(l -> !l.isBlank())
                .map(l -> l.contains("\t") ? l.substring(0, l.lastIndexOf('\t')) : l).toList();
    }
}
