package dev.keel.iterate.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.adapters.ClassWeights;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.HeadTrainer;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Prediction;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.iterate.eval.BiasEvaluation;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bias remediation on real text: a head on MiniLM features trained on a seeded, gender-biased set (reviews
 * told by "my husband" when positive and "my wife" when negative, nine times in ten) flips its answer on many
 * counterfactual probes; reweighing and counterfactual augmentation, as a round applies them, lower the flip
 * rate and the demographic parity difference.
 */
class BiasRemediationTest {
    private static final String[][] FRAMES = {{"My husband said: ", "My wife said: "}, {"He wrote: ", "She wrote: "},
        {"According to my dad, ", "According to my mom, "}, {"My brother thinks ", "My sister thinks "}};

    @TempDir
    Path dir;

    private static String lower(String text) {
        return Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    /** The reviews told by a man when positive and by a woman when negative, with probability {@code bias}. */
    static List<LabelledRow> biased(List<LabelledRow> reviews, double bias, long seed) {
        Random r = new Random(seed);
        List<LabelledRow> out = new ArrayList<>();
        for (LabelledRow row : reviews) {
            boolean male = row.label().equals("1") ? r.nextDouble() < bias : r.nextDouble() >= bias;
            String[] f = FRAMES[r.nextInt(FRAMES.length)];
            out.add(LabelledRow.of((male ? f[0] : f[1]) + lower(row.text()), row.label()));
        }
        return out;
    }

    /** One probe per held-out review: the same review told by a man and by a woman. */
    static BiasProbes probes(List<LabelledRow> heldout) {
        List<BiasProbes.Probe> p = new ArrayList<>();
        for (int i = 0; i < heldout.size(); i++) {
            String[] f = FRAMES[i % FRAMES.length];
            p.add(new BiasProbes.Probe("{term}" + lower(heldout.get(i).text()), Map.of("male", f[0], "female", f[1]),
                    heldout.get(i).label()));
        }
        return new BiasProbes(p);
    }

    /** A head over MiniLM features (embedded once per text), as a classifier session. */
    static final class Head implements InferenceSession {
        private final InferenceSession base;
        private final Map<String, float[]> cache;
        private final ClassifierHead head;

        Head(InferenceSession base, Map<String, float[]> cache, ClassifierHead head) {
            this.base = base;
            this.cache = cache;
            this.head = head;
        }

        static float[][] features(InferenceSession base, Map<String, float[]> cache, List<String> texts) {
            List<String> missing = texts.stream().filter(t -> !cache.containsKey(t)).distinct().toList();
            if (!missing.isEmpty()) {
                float[][] v = base.embed(missing, new EmbeddingOptions(false, 128)).vectors();
                for (int i = 0; i < v.length; i++) {
                    cache.put(missing.get(i), v[i]);
                }
            }
            return texts.stream().map(cache::get).toArray(float[][]::new);
        }

        @Override
        public ModelInfo info() {
            return base.info();
        }

        @Override
        public Tokenizer tokenizer() {
            return base.tokenizer();
        }

        @Override
        public ClassificationResult classify(List<String> texts) {
            List<Prediction> out = new ArrayList<>();
            for (float[] v : features(base, cache, texts)) {
                double[] p = head.probabilities(v);
                int k = p[1] > p[0] ? 1 : 0;
                out.add(new Prediction(Integer.toString(k), k, p[k], p));
            }
            return new ClassificationResult("head", out);
        }

        @Override
        public void close() { }
    }

    private static Map<String, Double> train(InferenceSession base, Map<String, float[]> cache, List<LabelledRow> rows,
            BiasProbes probes, List<LabelledRow> heldout) {
        float[][] x = Head.features(base, cache, rows.stream().map(LabelledRow::text).toList());
        int[] y = rows.stream().mapToInt(r -> Integer.parseInt(r.label())).toArray();
        float[] w = new float[rows.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rows.get(i).weight();
        }
        ClassifierHead head = HeadTrainer.train(x, y, 2, null, null, new HeadTrainer.Options(20, 32, 1e-3, 0.01, 0, 0,
                ClassWeights.none(2), 7, w, null), e -> { }).head();
        Head session = new Head(base, cache, head);
        Map<String, Double> m = new HashMap<>(BiasEvaluation.measure(session, probes, List.of("1")));
        List<Prediction> p = session.classify(heldout.stream().map(LabelledRow::text).toList()).predictions();
        long right = 0;
        for (int i = 0; i < p.size(); i++) {
            right += p.get(i).label().equals(heldout.get(i).label()) ? 1 : 0;
        }
        m.put("accuracy", (double) right / p.size());
        return m;
    }

    @Test
    void reweighing_and_counterfactual_augmentation_lower_the_flip_rate_of_a_biased_head() {
        TermPairs en = TermPairs.englishGender();
        List<LabelledRow> train = biased(BundledData.rows(BundledData.REVIEWS_NEW, dir).subList(0, 400), 0.9, 3);
        List<LabelledRow> heldout = BundledData.rows(BundledData.REVIEWS_HELDOUT, dir).subList(0, 100);
        BiasProbes probes = probes(heldout);
        Map<String, float[]> cache = new HashMap<>();
        try (InferenceSession base = KeelRuntime.builder().build().open(ModelRef.builtin("all-minilm-l6-v2"))) {
            Map<String, Double> none = train(base, cache, train, probes, heldout);
            Map<String, Double> reweighed = train(base, cache,
                    Reweighing.apply(train, BiasMonitor.termGroups(en.groupSpec())).rows(), probes, heldout);
            List<LabelledRow> augmented = new ArrayList<>(train);
            augmented.addAll(CounterfactualAugmentation.copies(train, en));
            Map<String, Double> cda = train(base, cache, augmented, probes, heldout);

            assertThat(none.get("flip_rate")).as("the biased head uses gender as a cue").isGreaterThan(0.25);
            assertThat(reweighed.get("flip_rate")).as("reweighing " + reweighed + " vs " + none)
                    .isLessThan(none.get("flip_rate") - 0.05);
            assertThat(cda.get("flip_rate")).as("augmentation " + cda).isLessThan(0.1)
                    .isLessThan(reweighed.get("flip_rate"));
            assertThat(reweighed.get("demographic_parity_difference"))
                    .isLessThan(none.get("demographic_parity_difference"));
            assertThat(cda.get("demographic_parity_difference"))
                    .isLessThan(none.get("demographic_parity_difference"));
            // remediation costs little accuracy on the held-out reviews
            assertThat(cda.get("accuracy")).isGreaterThan(0.75);
            assertThat(reweighed.get("accuracy")).isGreaterThan(0.7);
        }
    }
}
