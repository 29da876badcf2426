package dev.keel.djl.internal.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.LoraAdapter;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm starts and sample weights in bert LoRA and full fine-tuning (the continuous-learning loop's training). */
class BertWarmStartTest {
    @TempDir
    Path dir;
    Path base;
    Path train;
    Path devFile;

    @BeforeEach
    void data() throws IOException {
        base = TinyBert.write(dir.resolve("base"), 7);
        train = TinyBert.toySentiment(dir.resolve("train.tsv"), 160, 1, 0.5);
        devFile = TinyBert.toySentiment(dir.resolve("dev.tsv"), 40, 2, 0.5);
    }

    private AdaptationSpec.Builder spec(AdaptationMethod method, Path model, Path data, String out, double lr,
            int steps) {
        return AdaptationSpec.builder().base(ModelRef.of(model)).method(method).train(data).dev(devFile)
                .training(TrainingConfig.builder().maxSteps(steps).epochs(1).batchSize(16).learningRate(lr)
                        .minLearningRate(0).warmupSteps(0).weightDecay(0).build())
                .maxLength(32).outputDir(dir.resolve(out)).patience(0).warmupFraction(0);
    }

    private static Adapter adapter() {
        return new DjlBackendProvider().adapter(dev.keel.api.Device.cpu());
    }

    private static float maxDifference(Map<String, Tensor> a, Map<String, Tensor> b) {
        assertThat(b.keySet()).containsAll(a.keySet());
        float max = 0;
        for (var e : a.entrySet()) {
            float[] x = e.getValue().toFloats();
            float[] y = b.get(e.getKey()).toFloats();
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    @Test
    void a_lora_warm_start_begins_at_the_champions_adapter_and_classifier() {
        TrainingResult champion = adapter().adapt(spec(AdaptationMethod.LORA, base, train, "champion", 2e-2, 60).build());
        assertThat(champion.metrics().get("dev_accuracy")).isGreaterThanOrEqualTo(0.8);
        // one step at a vanishing learning rate: the challenger is the champion, adapter and classifier alike
        TrainingResult still = adapter().adapt(spec(AdaptationMethod.LORA, base, train, "still", 1e-9, 1)
                .warmStart(ModelRef.of(dir.resolve("champion"))).build());
        assertThat(still.metrics().get("dev_accuracy")).isEqualTo(champion.metrics().get("dev_accuracy"));
        assertThat(maxDifference(LoraAdapter.read(dir.resolve("champion")).tensors(),
                LoraAdapter.read(dir.resolve("still")).tensors())).isLessThan(1e-6f);
        assertThat(ModelFolder.readMetadata(dir.resolve("still")).training()).containsKey("warm_start");
        // a fresh start at the same rate is nowhere near it
        TrainingResult fresh = adapter().adapt(spec(AdaptationMethod.LORA, base, train, "fresh", 1e-9, 1).build());
        assertThat(fresh.metrics().get("dev_accuracy")).isLessThan(champion.metrics().get("dev_accuracy"));
    }

    @Test
    void a_full_warm_start_begins_at_the_champions_weights() {
        adapter().adapt(spec(AdaptationMethod.FULL, base, train, "champion", 5e-3, 40).build());
        Path champion = dir.resolve("champion");
        adapter().adapt(spec(AdaptationMethod.FULL, champion, train, "still", 1e-9, 1)
                .warmStart(ModelRef.of(champion)).build());
        assertThat(maxDifference(ModelFolder.readWeights(champion).tensors(),
                ModelFolder.readWeights(dir.resolve("still")).tensors())).isLessThan(1e-6f);
    }

    @Test
    void a_warm_start_of_another_method_or_label_set_is_refused_before_training() throws IOException {
        adapter().adapt(spec(AdaptationMethod.LORA, base, train, "champion", 2e-2, 5).build());
        ModelRef warm = ModelRef.of(dir.resolve("champion"));
        assertThatThrownBy(() -> adapter().adapt(spec(AdaptationMethod.FULL, base, train, "o1", 1e-3, 1).warmStart(warm)
                .build())).isInstanceOf(InvalidInputException.class).hasMessageContaining("lora folder");
        List<String> three = new ArrayList<>();
        for (String w : List.of("good", "nice", "fine", "bad", "poor", "sad", "long", "odd", "old")) {
            three.add("the film was " + w + "\t" + (List.of("good", "nice", "fine").contains(w) ? "positive"
                    : List.of("bad", "poor", "sad").contains(w) ? "negative" : "meh"));
        }
        Path threeLabels = Files.write(dir.resolve("three.tsv"), three);
        assertThatThrownBy(() -> adapter().adapt(spec(AdaptationMethod.LORA, base, threeLabels, "o2", 1e-3, 1)
                .dev(null).warmStart(warm).build())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[meh, negative, positive]");
        assertThat(dir.resolve("o1")).doesNotExist();
        assertThat(dir.resolve("o2")).doesNotExist();
    }

    @Test
    void sample_weights_of_zero_take_examples_out_of_the_loss() throws IOException {
        // every positive example weighs 0: the classifier only ever sees negatives and calls everything negative
        List<String> jsonl = new ArrayList<>();
        for (String line : Files.readAllLines(train)) {
            String[] p = line.split("\t");
            jsonl.add("{\"text\": \"" + p[0] + "\", \"label\": \"" + p[1] + "\", \"weight\": "
                    + (p[1].equals("positive") ? 0 : 1) + "}");
        }
        Path weighted = Files.write(dir.resolve("weighted.jsonl"), jsonl);
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.LORA, base, weighted, "weighted", 2e-2, 40)
                .classWeights(dev.keel.api.adapt.ClassWeighting.NONE).build());
        long negatives = Files.readAllLines(devFile).stream().filter(l -> l.endsWith("negative")).count();
        assertThat(r.metrics().get("dev_accuracy")).isCloseTo((double) negatives / 40, within(1e-9));
        assertThat(ModelFolder.readMetadata(dir.resolve("weighted")).training()).containsEntry("sample_weights", true);
    }
}
