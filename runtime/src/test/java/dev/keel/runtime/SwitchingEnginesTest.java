package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.inject.Guice;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spi.data.CorpusTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise to host applications: the same host code, with only the configured backend changed, serves
 * the same model folder with the same results — and the folder was pre-trained by yet another engine.
 */
class SwitchingEnginesTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path corpus;

    /** What a host application would write: no engine named anywhere. */
    record HostOutput(String greedyText, double valLoss, float[] lastLogits) { }

    static HostOutput hostCode(KeelRuntime keel) {
        try (InferenceSession session = keel.open(ModelRef.of(model))) {
            String text = session.generate(GenerationRequest.builder().prompt("To be").maxTokens(20).greedy().build())
                    .text();
            double loss = session.evaluate(TextCorpus.of(corpus), Split.VAL).loss();
            float[][] logits = session.logits(session.tokenizer().encode("To be, or not"));
            return new HostOutput(text, loss, logits[logits.length - 1]);
        }
    }

    @BeforeAll
    static void pretrainOnDjl() throws IOException {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
        corpus = Files.writeString(dir.resolve("corpus.txt"),
                "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n".repeat(30));
        model = dir.resolve("model");
        KeelRuntime trainer = KeelRuntime.builder().backend("djl").build();
        trainer.pretrainer().pretrain(PretrainSpec.builder()
                .architecture(Gpt2Config.builder().vocabSize(1).blockSize(32).embedding(32).layers(2).heads(2).build())
                .tokenizer(TokenizerSpec.chars()).corpus(corpus).outputDir(model)
                .training(TrainingConfig.builder().maxSteps(40).batchSize(8).blockSize(32).warmupSteps(5)
                        .evalInterval(20).evalIters(2).seed(7).build())
                .build());
    }

    @Test
    void the_same_host_code_gives_the_same_results_on_every_engine_chosen_by_configuration() {
        HostOutput djl = hostCode(Guice.createInjector(new KeelModule("djl", Device.cpu())).getInstance(KeelRuntime.class));
        HostOutput tf = hostCode(Guice.createInjector(new KeelModule("tf", Device.cpu())).getInstance(KeelRuntime.class));
        HostOutput onnx = hostCode(KeelRuntime.builder().backend("onnx").build());

        assertThat(djl.valLoss()).as("the model learned something").isLessThan(Math.log(20));
        for (HostOutput other : new HostOutput[] {tf, onnx}) {
            assertThat(other.greedyText()).isEqualTo(djl.greedyText());
            assertThat(other.valLoss()).isCloseTo(djl.valLoss(), within(1e-4));
            for (int i = 0; i < djl.lastLogits().length; i++) {
                assertThat(other.lastLogits()[i]).isCloseTo(djl.lastLogits()[i], within(1e-3f));
            }
        }
    }

    @Test
    void the_configured_backend_can_come_from_the_system_property_alone() {
        String before = System.getProperty("keel.backend");
        try {
            System.setProperty("keel.backend", "tf");
            KeelRuntime keel = Guice.createInjector(new KeelModule()).getInstance(KeelRuntime.class);
            try (InferenceSession session = keel.open(ModelRef.of(model))) {
                assertThat(session.info().backend()).isEqualTo("tf");
            }
        } finally {
            if (before == null) {
                System.clearProperty("keel.backend");
            } else {
                System.setProperty("keel.backend", before);
            }
        }
    }
}
