package dev.keel.djl.internal.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.train.DataParallel;
import dev.keel.spi.train.DataParallelAdapter;
import dev.keel.spi.train.ParameterSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-parallel hook in the bert training loop, without any transport: what the loop shows the hook, that
 * writing parameters back through it leaves training exactly as it was, and that the hook's stop decision ends
 * the run. keel-spark's tests show the hook averaging between real worker JVMs.
 */
class DataParallelHookTest {
    @TempDir
    Path dir;
    Path base;
    Path train;
    Path devFile;

    @BeforeEach
    void data() throws IOException {
        base = TinyBert.write(dir.resolve("base"), 7);
        train = TinyBert.toySentiment(dir.resolve("train.tsv"), 96, 1, 0.5);
        devFile = TinyBert.toySentiment(dir.resolve("dev.tsv"), 40, 2, 0.5);
    }

    private AdaptationSpec spec(String out, AdaptationMethod method) {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(method).train(train).dev(devFile)
                .training(TrainingConfig.builder().maxSteps(0).epochs(3).batchSize(16).learningRate(2e-2)
                        .minLearningRate(0).warmupSteps(0).weightDecay(0.01).build())
                .maxLength(32).outputDir(dir.resolve(out)).patience(0).build();
    }

    private static DataParallelAdapter adapter() {
        return (DataParallelAdapter) new DjlBackendProvider().adapter(dev.keel.api.Device.cpu());
    }

    private static DataParallel alone(ParameterSync sync) {
        return new DataParallel(0, 1, List.of("negative", "positive"), new int[] {48, 48}, sync);
    }

    @Test
    void parameters_written_back_through_the_hook_after_every_step_leave_training_unchanged() throws IOException {
        TrainingResult plain = adapter().adapt(spec("plain", AdaptationMethod.LORA));
        List<String> seen = new ArrayList<>();
        TrainingResult hooked = adapter().adapt(spec("hooked", AdaptationMethod.LORA), TrainingListener.NONE,
                alone((step, total, evaluating, parameters) -> {
                    List<float[]> values = parameters.read();
                    parameters.write(values.stream().map(float[]::clone).toList());
                    seen.add(step + "/" + total + (evaluating ? " eval" : ""));
                    if (step == 1) {
                        assertThat(parameters.names()).contains("classifier.weight", "classifier.bias")
                                .anyMatch(n -> n.endsWith("lora_A.weight"));
                    }
                }));
        // 96 rows at batch 16: 6 steps an epoch, evaluated at each epoch's end
        assertThat(seen).hasSize(18).startsWith("1/18", "2/18").contains("6/18 eval", "12/18 eval", "18/18 eval");
        assertThat(hooked.metrics()).isEqualTo(plain.metrics());
        assertThat(Files.readAllBytes(dir.resolve("hooked/adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("plain/adapter_model.safetensors")));
    }

    @Test
    void the_hooks_stop_decision_ends_every_worker_at_the_same_evaluation() {
        ParameterSync stopAtOnce = new ParameterSync() {
            @Override
            public void afterStep(int step, int totalSteps, boolean evaluating, Parameters parameters) { }

            @Override
            public boolean stop(boolean local) {
                return true; // as if the first worker had decided so
            }
        };
        TrainingResult r = adapter().adapt(spec("stopped", AdaptationMethod.FULL), TrainingListener.NONE,
                alone(stopAtOnce));
        assertThat(r.steps()).isEqualTo(6);
        assertThat(ModelFolder.readMetadata(r.output()).method()).isEqualTo("full");
    }

    @Test
    void a_head_is_refused_with_the_class_that_trains_it_data_parallel() {
        assertThatThrownBy(() -> adapter().adapt(spec("head", AdaptationMethod.HEAD), TrainingListener.NONE,
                alone((step, total, evaluating, parameters) -> { })))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("DataParallelHead");
    }
}
