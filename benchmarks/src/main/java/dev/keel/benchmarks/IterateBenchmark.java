package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.iterate.data.BundledData;
import dev.keel.iterate.data.CounterfactualAugmentation;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.Reweighing;
import dev.keel.iterate.data.RowFiles;
import dev.keel.iterate.data.TermPairs;
import dev.keel.iterate.eval.BiasEvaluation;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The continuous-learning loop's figures (issue 11), each printed side by side:
 * <ul>
 *   <li>{@code lora} / {@code head}: one {@code keel iterate} round of a champion adapted on SST-2 (a LoRA folder
 *       from {@code keel adapt --method lora} with its defaults, or a head), given the 1,000 bundled product and
 *       restaurant reviews as new data: accuracy on the 300 other bundled reviews of that domain (never trained
 *       on) before and after, SST-2 dev before and after, with replay (fraction {@code keel.bench.replay}, default
 *       0.2) and without, wall time and peak memory of the round's JVM; {@code keel.bench.lr} and
 *       {@code keel.bench.epochs} override the round's learning rate and epochs;</li>
 *   <li>{@code bias}: a head trained on SST-2 phrases whose gendered words were rewritten to follow the label
 *       (male when positive, female when negative, nine times in ten), then the same data with reweighing, with
 *       counterfactual augmentation, and with both: counterfactual flip rate, demographic parity difference and
 *       equalized odds on the bundled SST-2 gender probes, with SST-2 dev accuracy; the unaltered phrases as
 *       reference.</li>
 * </ul>
 * Every round and every adaptation runs {@code keel} in its own JVM under {@code /usr/bin/time}
 * ({@link AdaptBenchmark#keel}).
 *
 * <pre>
 * bin/bench IterateBenchmark SST2_DIR WORK_DIR \
 *     [lora=LORA_CHAMPION_DIR] [head=HEAD_CHAMPION_DIR] [bias]
 * </pre>
 */
public final class IterateBenchmark {
    private IterateBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path sst2 = Path.of(args[0]);
        Path work = Path.of(args[1]);
        Files.createDirectories(work);
        List<String> rows = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("lora=") || a.startsWith("head=")) {
                String method = a.substring(0, 4);
                Path champion = Path.of(a.substring(5));
                String fraction = System.getProperty("keel.bench.replay", "0.2");
                rows.add(round(sst2, work, method, champion, fraction));
                rows.add(round(sst2, work, method, champion, "0"));
            } else if (a.equals("bias")) {
                rows.addAll(bias(sst2, work));
            } else {
                throw new IllegalArgumentException("unknown argument " + a + "; give lora=DIR, head=DIR or bias");
            }
        }
        System.out.println();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores; shared with other "
                + "engineers during the run (load varies), so times are indicative");
        rows.forEach(System.out::println);
    }

    /** One round from a fresh registry holding {@code champion}; returns its table row. */
    static String round(Path sst2, Path work, String method, Path champion, String replay) throws Exception {
        String tag = method + "-replay-" + replay + (System.getProperty("keel.bench.lr") == null ? ""
                : "-lr-" + System.getProperty("keel.bench.lr"));
        Path registry = work.resolve("registry-" + tag);
        AtomicFiles.deleteTree(registry);
        Path data = work.resolve("data");
        Path fresh = BundledData.extract(BundledData.REVIEWS_NEW, data);
        Path heldout = BundledData.extract(BundledData.REVIEWS_HELDOUT, data);
        AdaptBenchmark.keel(List.of("registry", "register", "--registry", registry.toString(), "--name", "sentiment",
                "--model", champion.toString(), "--alias", "champion", "--json"));
        List<String> args = new ArrayList<>(List.of("iterate", "--registry", registry.toString(), "--name",
                "sentiment", "--data", fresh.toString(), "--replay-data", sst2.resolve("train.tsv").toString(),
                "--replay-fraction", replay, "--golden", sst2.resolve("dev.tsv").toString(), "--golden",
                heldout.toString(), "--gate", "accuracy@reviews-heldout:min_abs_change=0.02", "--gate",
                "forgetting@dev<=0.005", "--work", work.resolve("work").toString(), "--json"));
        AdaptBenchmark.Run r = AdaptBenchmark.keel(withOverrides(args));
        Map<String, Map<String, Map<String, Double>>> m = metrics(r);
        return String.format(Locale.ROOT, "%-22s domain %.4f -> %.4f (%+.4f)  sst2-dev %.4f -> %.4f (%+.4f)  "
                + "split-heldout %.4f -> %.4f  gates %s  wall %.0f s  peak %.0f MB", tag,
                m.get("reviews-heldout").get("champion").get("accuracy"),
                m.get("reviews-heldout").get("challenger").get("accuracy"),
                m.get("reviews-heldout").get("challenger").get("accuracy")
                        - m.get("reviews-heldout").get("champion").get("accuracy"),
                m.get("dev").get("champion").get("accuracy"), m.get("dev").get("challenger").get("accuracy"),
                m.get("dev").get("challenger").get("accuracy") - m.get("dev").get("champion").get("accuracy"),
                m.get("heldout").get("champion").get("accuracy"), m.get("heldout").get("challenger").get("accuracy"),
                Boolean.TRUE.equals(r.json().get("gates_passed")) ? "passed" : "refused", r.wallSeconds(),
                r.peakKb() / 1024.0);
    }

    /** The round's own defaults unless the run asks otherwise (-Dkeel.bench.lr=3e-4, -Dkeel.bench.epochs=2). */
    static List<String> withOverrides(List<String> args) {
        List<String> out = new ArrayList<>(args);
        for (String[] o : new String[][] {{"keel.bench.lr", "--lr"}, {"keel.bench.epochs", "--epochs"}}) {
            if (System.getProperty(o[0]) != null) {
                out.addAll(List.of(o[1], System.getProperty(o[0])));
            }
        }
        return out;
    }

    /** A round's {@code metrics}: set -> champion/challenger -> metric -> value. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Map<String, Double>>> metrics(AdaptBenchmark.Run r) {
        return (Map<String, Map<String, Map<String, Double>>>) (Map<?, ?>) r.json().get("metrics");
    }

    /** Bias remediation on SST-2: four heads on four versions of one gender-biased training set. */
    static List<String> bias(Path sst2, Path work) throws Exception {
        TermPairs en = TermPairs.englishGender();
        Function<String, String> groupOf = BiasMonitor.termGroups(en.groupSpec());
        List<LabelledRow> all = RowFiles.read(sst2.resolve("train.tsv"));
        List<LabelledRow> gendered = new ArrayList<>();
        List<LabelledRow> other = new ArrayList<>();
        for (LabelledRow r : all) {
            (groupOf.apply(r.text()) != null ? gendered : other).add(r);
        }
        Random random = new Random(11);
        Collections.shuffle(other, random);
        List<LabelledRow> reference = new ArrayList<>(gendered);
        reference.addAll(other.subList(0, gendered.size()));
        List<LabelledRow> biased = new ArrayList<>();
        for (LabelledRow r : gendered) {
            // nine times in ten the group follows the label: positive phrases speak of men, negative of women
            boolean male = r.label().equals("1") == random.nextDouble() < 0.9;
            boolean isMale = en.groupA().equals(groupOf.apply(r.text()));
            biased.add(male == isMale ? r : r.withText(CounterfactualAugmentation.swap(r.text(), en)));
        }
        biased.addAll(other.subList(0, gendered.size()));
        List<LabelledRow> reweighed = Reweighing.apply(biased, groupOf).rows();
        List<LabelledRow> augmented = new ArrayList<>(biased);
        augmented.addAll(CounterfactualAugmentation.copies(biased, en));
        List<LabelledRow> both = Reweighing.apply(augmented, groupOf).rows();

        Map<String, List<LabelledRow>> variants = new java.util.LinkedHashMap<>();
        variants.put("reference (unaltered)", reference);
        variants.put("biased", biased);
        variants.put("biased + reweighing", reweighed);
        variants.put("biased + cda", augmented);
        variants.put("biased + both", both);
        BiasProbes probes = BiasProbes.sst2Gender();
        List<LabelledRow> dev = RowFiles.read(sst2.resolve("dev.tsv"));
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%-22s %6s %9s %9s %9s %9s %8s %8s", "bias variant", "rows", "flip_rate",
                "mean_chg", "dp_diff", "eo_diff", "dev_acc", "wall_s"));
        int i = 0;
        for (var v : variants.entrySet()) {
            Path train = RowFiles.write(work.resolve("bias-" + i + ".jsonl"), v.getValue());
            Path folder = work.resolve("bias-head-" + i++);
            AtomicFiles.deleteTree(folder);
            AdaptBenchmark.Run a = AdaptBenchmark.keel(List.of("adapt", "--base", "builtin:all-minilm-l6-v2", "--method",
                    "head", "--train", train.toString(), "--out", folder.toString(), "--epochs", "20", "--patience", "0",
                    "--class-weights", "none", "--json"));
            try (InferenceSession s = KeelRuntime.builder().build().open(ModelRef.of(folder))) {
                Map<String, Double> b = BiasEvaluation.measure(s, probes, List.of("1"));
                List<Prediction> p = new ArrayList<>();
                for (int start = 0; start < dev.size(); start += 128) {
                    p.addAll(s.classify(dev.subList(start, Math.min(dev.size(), start + 128)).stream()
                            .map(LabelledRow::text).toList()).predictions());
                }
                int right = 0;
                for (int k = 0; k < dev.size(); k++) {
                    right += p.get(k).label().equals(dev.get(k).label()) ? 1 : 0;
                }
                out.add(String.format(Locale.ROOT, "%-22s %6d %9.4f %9.4f %9.4f %9.4f %8.4f %8.0f", v.getKey(),
                        v.getValue().size(), b.get("flip_rate"), b.get("mean_abs_change"),
                        b.get("demographic_parity_difference"), b.get("equalized_odds_difference"),
                        (double) right / dev.size(), a.wallSeconds()));
            }
        }
        return out;
    }
}
