package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spi.data.CorpusTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gpt2 LoRA folder trained on djl serves through the runtime on every backend that serves gpt2, with the
 * adapter merged into the base at open time: the same greedy text and logits as djl, not the base's.
 */
class Gpt2LoraFolderTest {
    record Served(String greedyText, double domainLoss, float[] lastLogits) { }

    static Served serve(KeelRuntime keel, Path model, Path domain) {
        try (InferenceSession session = keel.open(ModelRef.of(model))) {
            String text = session.generate(GenerationRequest.builder().prompt("the sea").maxTokens(20).greedy().build())
                    .text();
            double loss = session.evaluate(TextCorpus.of(domain), Split.VAL).loss();
            float[][] logits = session.logits(session.tokenizer().encode("a cat ran to"));
            return new Served(text, loss, logits[logits.length - 1]);
        }
    }

    @Test
    void a_gpt2_lora_folder_serves_the_merged_adapter_on_djl_onnx_and_tf(@TempDir Path dir) throws IOException {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
        Path original = Files.writeString(dir.resolve("original.txt"),
                "the cat sat on the mat.\na dog ran to the log.\nwe see the sea and the sky.\n".repeat(40));
        Path domain = Files.writeString(dir.resolve("domain.txt"),
                "the sea sat on the log.\na cat ran to the sky.\nwe see the dog and the mat.\n".repeat(40));
        Path base = dir.resolve("base");
        KeelRuntime djl = KeelRuntime.builder().backend("djl").build();
        djl.pretrainer().pretrain(PretrainSpec.builder()
                .architecture(Gpt2Config.builder().vocabSize(1).blockSize(32).embedding(32).layers(2).heads(2).build())
                .tokenizer(TokenizerSpec.chars()).corpus(original).outputDir(base)
                .training(TrainingConfig.builder().maxSteps(40).batchSize(8).blockSize(32).learningRate(1e-2)
                        .warmupSteps(5).evalInterval(0).evalIters(0).seed(7).build())
                .build());
        Path lora = dir.resolve("lora");
        djl.adapter(ModelFamily.GPT2).adapt(AdaptationSpec.builder().base(ModelRef.of(base))
                .method(AdaptationMethod.LORA).task(AdaptationTask.CAUSAL_LM).train(domain).outputDir(lora)
                .lora(LoraConfig.defaults())
                .training(TrainingConfig.builder().maxSteps(30).batchSize(8).blockSize(32).learningRate(3e-2)
                        .minLearningRate(0).warmupSteps(2).weightDecay(0.0).seed(3).build())
                .maxLength(32).build());
        assertThat(AdaptedModels.kind(lora)).isEqualTo(AdaptedModels.Kind.LORA);

        Served onDjl = serve(djl, lora, domain);
        Served baseOnDjl = serve(djl, base, domain);
        assertThat(onDjl.domainLoss()).as("the adapter is served, not the base").isLessThan(baseOnDjl.domainLoss() - 0.1);
        for (String backend : new String[] {"onnx", "tf"}) {
            Served other = serve(KeelRuntime.builder().backend(backend).build(), lora, domain);
            assertThat(other.greedyText()).as(backend).isEqualTo(onDjl.greedyText());
            assertThat(other.domainLoss()).as(backend).isCloseTo(onDjl.domainLoss(), within(1e-4));
            for (int i = 0; i < onDjl.lastLogits().length; i++) {
                assertThat(other.lastLogits()[i]).as(backend).isCloseTo(onDjl.lastLogits()[i], within(1e-4f));
            }
        }
    }
}
