package dev.keel.tf.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.data.CorpusTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nanoGPT's CPU configuration on Tiny Shakespeare (4 layers, 4 heads, 128 wide, block 64, batch 12, 2,000
 * iterations, AdamW, cosine schedule, clipping) must reach nanoGPT's validation loss (about 1.88). Slow: about
 * 3 minutes on 2 cores; run with {@code -Dkeel.excludedGroups=gpu}.
 */
@Tag("slow")
class TfNanoGptReferenceTest {
    @Test
    void nanogpt_cpu_configuration_reaches_the_reference_validation_loss(@TempDir Path dir) {
        String data = System.getProperty("keel.shared.data");
        Path corpus = data == null ? null : Path.of(data, "tinyshakespeare", "input.txt");
        Assumptions.assumeTrue(corpus != null && Files.exists(corpus), "needs ../shared/data/tinyshakespeare");
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("token-cache").toString());
        Gpt2Config arch = Gpt2Config.builder().vocabSize(1).blockSize(64).embedding(128).layers(4).heads(4).build();
        TrainingResult r = new TfBackendProvider().pretrainer(dev.keel.api.Device.cpu()).pretrain(PretrainSpec.builder()
                .architecture(arch).corpus(corpus).training(TrainingConfig.builder().build())
                .outputDir(dir.resolve("model")).build());
        try (InferenceSession s = new TfBackendProvider().open(ModelRef.of(r.output()), SessionOptions.defaults())) {
            double val = s.evaluate(TextCorpus.of(corpus), Split.VAL).loss();
            assertThat(val).isLessThan(1.98);
        }
    }
}
