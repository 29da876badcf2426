package dev.keel.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.tck.KitModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same folder on the GPU and on the CPU. Tagged {@code gpu}: it needs a CUDA device and the CUDA natives
 * ({@code ./mvnw -Pgpu verify -Dkeel.excludedGroups=}), so the default build leaves it out.
 */
@Tag("gpu")
class GpuParityTest {
    @TempDir
    Path dir;

    @Test
    void a_gpt2_folder_gives_the_same_logits_on_gpu_0_as_on_the_cpu() {
        Path folder = KitModels.writeGpt2(dir.resolve("m"), KitModels.randomGpt2(KitModels.GPT2, 7));
        int[] tokens = KitModels.TOKENIZER.encode("abcabc");
        DjlBackendProvider djl = new DjlBackendProvider();
        float[][] cpu;
        float[][] gpu;
        try (InferenceSession s = djl.open(ModelRef.of(folder), SessionOptions.builder().device(Device.cpu()).build())) {
            cpu = s.logits(tokens);
        }
        try (InferenceSession s = djl.open(ModelRef.of(folder), SessionOptions.builder().device(Device.gpu(0)).build())) {
            assertThat(s.info().device()).isEqualTo(Device.gpu(0));
            gpu = s.logits(tokens);
        }
        for (int t = 0; t < cpu.length; t++) {
            assertThat(gpu[t]).containsExactly(cpu[t], within(1e-3f));
        }
    }
}
