package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.data.CorpusTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portability promise: a gpt2 pre-trained on one engine is served by another with the same logits,
 * the same evaluation loss and the same greedy text. Both directions between DJL (PyTorch) and TensorFlow.
 */
class CrossBackendParityTest {
    private static final Gpt2Config ARCH = Gpt2Config.builder().vocabSize(1).blockSize(32).embedding(32).layers(2)
            .heads(4).build();

    @TempDir
    static Path tmp;
    private static Path corpus;

    @BeforeAll
    static void corpus() throws IOException {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, tmp.resolve("token-cache").toString());
        try (InputStream in = CrossBackendParityTest.class.getResourceAsStream("/dev/keel/cli/demo/shakespeare-head.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            corpus = Files.writeString(tmp.resolve("corpus.txt"), text.substring(0, 20_000));
        }
    }

    private static BackendProvider backend(String name) {
        return Backends.discover().find(name).orElseThrow();
    }

    private static Path pretrain(String backend) {
        Path out = tmp.resolve("trained-on-" + backend);
        TrainingConfig tc = TrainingConfig.builder().maxSteps(12).batchSize(4).blockSize(32).learningRate(3e-3)
                .warmupSteps(2).evalInterval(12).evalIters(2).seed(7).build();
        TrainingResult r = backend(backend).pretrainer(Device.cpu()).pretrain(PretrainSpec.builder()
                .architecture(ARCH).corpus(corpus).training(tc).outputDir(out).build());
        assertThat(r.output()).isEqualTo(out);
        return out;
    }

    private static void servedAlike(Path model, String a, String b) {
        SessionOptions options = SessionOptions.builder().threads(2).build();
        try (InferenceSession sa = backend(a).open(ModelRef.of(model), options);
                InferenceSession sb = backend(b).open(ModelRef.of(model), options)) {
            int[] ids = sa.tokenizer().encode("First Citizen:\nBefore we proceed");
            float[][] la = sa.logits(ids);
            float[][] lb = sb.logits(ids);
            double worst = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < la[t].length; v++) {
                    worst = Math.max(worst, Math.abs(la[t][v] - lb[t][v]));
                }
            }
            assertThat(worst).as("largest logit difference %s vs %s", a, b).isLessThanOrEqualTo(1e-4);

            EvaluationResult ea = sa.evaluate(TextCorpus.of(corpus), Split.VAL);
            EvaluationResult eb = sb.evaluate(TextCorpus.of(corpus), Split.VAL);
            assertThat(eb.tokens()).isEqualTo(ea.tokens());
            assertThat(eb.loss()).isCloseTo(ea.loss(), within(1e-4));

            GenerationRequest greedy = GenerationRequest.builder().prompt("ROMEO:").maxTokens(20).greedy().build();
            assertThat(sb.generate(greedy).text()).isEqualTo(sa.generate(greedy).text());
        }
    }

    @Test
    void a_model_pretrained_on_djl_is_served_by_tf_with_the_same_logits_and_loss() {
        servedAlike(pretrain("djl"), "djl", "tf");
    }

    @Test
    void a_model_pretrained_on_tf_is_served_by_djl_with_the_same_logits_and_loss() {
        servedAlike(pretrain("tf"), "tf", "djl");
    }
}
