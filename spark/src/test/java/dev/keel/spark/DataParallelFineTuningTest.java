package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.ClassificationData;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.Labels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spark.train.DataParallelFineTuning;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tck.KitModels;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel LoRA on a tiny random bert and a toy sentiment task (a sentiment word among neutral ones), small
 * enough for the default build: two worker JVMs averaging every 4 steps reach the dev accuracy of the same
 * training on one machine ({@code keel adapt}'s loop, in this JVM), the result is an ordinary LoRA folder, a
 * worker's failure comes back as the Keel error it was, and a cancelled run leaves no worker JVM behind. The
 * real-model figures (MiniLM on the demo's data and SST-2) come from {@code DataParallelFineTuningBenchmark}.
 */
class DataParallelFineTuningTest {
    /** Two workers see the same rows in half-size shards; averaging may cost at most this much dev accuracy. */
    private static final double TOLERANCE = 0.05;

    @TempDir
    static Path dir;
    static Path base;
    static List<LabelledExample> devExamples;
    static TrainingResult one;
    static DataParallelFineTuning.Result two;

    @BeforeAll
    static void trainAloneAndWithTwoWorkers() throws IOException {
        base = tinyBert(dir.resolve("base"));
        List<LabelledExample> trainExamples = toySentiment(240, 1);
        devExamples = toySentiment(100, 2);
        one = KeelRuntime.builder().backend("djl").build().adapter(ModelFamily.BERT).adapt(AdaptationSpec.builder()
                .base(ModelRef.of(base)).method(AdaptationMethod.LORA).train(tsv(dir.resolve("train.tsv"), trainExamples))
                .dev(tsv(dir.resolve("dev.tsv"), devExamples)).training(schedule()).maxLength(32).patience(0)
                .outputDir(dir.resolve("one")).build());
        two = lora().workers(2).train(SparkDriftTest.frame(trainExamples, 3), SparkDriftTest.frame(devExamples, 2),
                dir.resolve("two"));
    }

    /** 16 epochs at batch 16: 15 steps an epoch alone (240 in all), 8 per worker for two (128). */
    static TrainingConfig schedule() {
        return TrainingConfig.builder().maxSteps(0).epochs(16).batchSize(16).learningRate(2e-2).minLearningRate(0)
                .warmupSteps(0).weightDecay(0.01).build();
    }

    static DataParallelFineTuning lora() {
        return new DataParallelFineTuning(base.toString()).method(AdaptationMethod.LORA).backend("djl").syncEvery(4)
                .training(schedule()).maxLength(32).patience(0);
    }

    @Test
    void two_worker_jvms_reach_the_dev_accuracy_of_one_machine(org.junit.jupiter.api.TestReporter report) {
        double alone = one.metrics().get("dev_accuracy");
        report.publishEntry("dev_accuracy_one_machine", String.valueOf(alone));
        report.publishEntry("dev_accuracy_2_workers", String.valueOf(two.devAccuracy()));
        report.publishEntry("seconds_2_workers", String.valueOf(two.seconds()));
        assertThat(alone).isGreaterThanOrEqualTo(0.9);
        assertThat(two.devAccuracy()).as("2 workers %.3f vs one machine %.3f", two.devAccuracy(), alone)
                .isCloseTo(alone, within(TOLERANCE));
        assertThat(one.steps()).isEqualTo(240);
        assertThat(two.steps()).isEqualTo(128);
        // every 4th step; the epoch-end evaluations (every 8th) and the last step fall on those
        assertThat(two.syncs()).isEqualTo(32);
        assertThat(two.trainRows()).isEqualTo(240);
        assertThat(two.trainable()).isEqualTo(one.trainableParameters());
    }

    @Test
    void the_result_is_an_ordinary_lora_folder_that_classifies_as_its_workers_measured() {
        Path out = two.out();
        assertThat(Files.exists(out.resolve(LoraAdapter.CONFIG))).isTrue();
        assertThat(Files.exists(out.resolve(ModelFolder.WEIGHTS))).isFalse(); // adapters only, as keel adapt writes
        KeelMetadata meta = ModelFolder.readMetadata(out);
        assertThat(meta.method()).isEqualTo("lora");
        assertThat(meta.base()).isEqualTo(base.toAbsolutePath().toString());
        assertThat(meta.training()).containsEntry("workers", 2L).containsEntry("sync_every", 4L)
                .containsEntry("train_examples", 240L);
        assertThat(meta.data().get("train_shards").split(",")).hasSize(2);
        assertThat(out.getParent()).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("."));

        ClassificationData devData = ClassificationData.of(devExamples, Labels.of(List.of("negative", "positive")), "dev");
        for (String backend : List.of("djl", "onnx")) {
            try (InferenceSession s = KeelRuntime.builder().backend(backend).build().open(out.toString())) {
                List<Prediction> p = s.classify(devData.texts()).predictions();
                ClassificationMetrics m = ClassificationMetrics.of(devData.labels(),
                        p.stream().map(Prediction::probabilities).toArray(double[][]::new));
                assertThat(m.accuracy()).as(backend).isCloseTo(two.devAccuracy(), within(0.02));
            }
        }
    }

    @Test
    void a_worker_failure_comes_back_as_the_keel_error_it_was() {
        Dataset<Row> train = SparkDriftTest.frame(toySentiment(64, 3), 2);
        // ONNX Runtime cannot train: the worker JVM finds that out and says so
        assertThatThrownBy(() -> lora().backend("onnx").workers(2).train(train, null, dir.resolve("refused")))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("onnx");
        assertThat(dir.resolve("refused")).doesNotExist();
    }

    @Test
    void a_cancelled_run_leaves_no_worker_jvm_behind() throws Exception {
        Dataset<Row> train = SparkDriftTest.frame(toySentiment(240, 4), 2);
        DataParallelFineTuning endless = lora().training(TrainingConfig.builder().maxSteps(0).epochs(10_000)
                .batchSize(16).learningRate(1e-3).minLearningRate(0).warmupSteps(0).build()).workers(2);
        var spark = SparkTests.spark().sparkContext();
        CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> {
            spark.setJobGroup("endless", "a run to cancel", true);
            return endless.train(train, null, dir.resolve("cancelled"));
        });
        List<ProcessHandle> workers = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (workers.size() < 2 && System.nanoTime() < deadline && !run.isDone()) {
            Thread.sleep(200);
            workers = workerJvms();
        }
        assertThat(workers).as("worker JVMs started").hasSize(2);
        spark.cancelJobGroup("endless");
        assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).hasMessageContaining("cancel");
        for (ProcessHandle w : workers) {
            w.onExit().get(30, TimeUnit.SECONDS);
            assertThat(w.isAlive()).isFalse();
        }
        assertThat(workerJvms()).isEmpty();
        assertThat(dir.resolve("cancelled")).doesNotExist();
    }

    static Path tsv(Path file, List<LabelledExample> examples) throws IOException {
        return Files.write(file, examples.stream().map(e -> e.text() + "\t" + e.label()).toList());
    }

    /** This JVM's descendants that are training workers. */
    static List<ProcessHandle> workerJvms() {
        return ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("")
                .contains("dev.keel.spark.train.ShardWorker")).filter(ProcessHandle::isAlive).toList();
    }

    /** A random 2-layer, 32-wide bert over lower-case letters (the kit's random weights). */
    static Path tinyBert(Path folder) {
        CharTokenizer tok = CharTokenizer.fromText(" abcdefghijklmnopqrstuvwxyz");
        BertConfig c = new BertConfig(tok.vocabSize(), 32, 2, 4, 64, 64, 2, 0.0, 0.0, 1e-12, List.of());
        ModelFolder.write(folder, c, KitModels.randomBert(c, 7).values(), tok, KeelMetadata.create("test", "random"));
        return folder;
    }

    /** Sentences whose label is decided by one sentiment word among neutral ones. */
    static List<LabelledExample> toySentiment(int n, long seed) {
        String[] pos = {"good", "great", "nice", "fine"};
        String[] neg = {"bad", "awful", "poor", "sad"};
        String[] filler = {"the movie", "a film", "this food", "my day", "the show"};
        Random r = new Random(seed);
        List<LabelledExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean p = r.nextBoolean();
            String word = p ? pos[r.nextInt(pos.length)] : neg[r.nextInt(neg.length)];
            String f = filler[r.nextInt(filler.length)];
            out.add(new LabelledExample(r.nextBoolean() ? f + " was " + word : word + " " + f, p ? "positive" : "negative"));
        }
        return out;
    }
}
