package dev.keel.djl.internal.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2AdaptationTest {
    @TempDir
    Path dir;

    private static String repeat(String[] lines, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        return sb.toString();
    }

    /** A tiny gpt2 pre-trained on one corpus whose alphabet also covers the domain text. */
    private Path pretrained(Path original) {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("tokens").toString());
        PretrainSpec spec = PretrainSpec.builder().architecture(new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5))
                .corpus(original).outputDir(dir.resolve("base"))
                .training(TrainingConfig.builder().maxSteps(60).batchSize(8).blockSize(16).learningRate(1e-2)
                        .minLearningRate(1e-3).warmupSteps(5).evalInterval(0).evalIters(0).seed(7).build())
                .build();
        return new Gpt2Pretrainer(Device.cpu()).pretrain(spec).output();
    }

    private static AdaptationSpec.Builder spec(Path base, AdaptationTask task, Path train, Path out, int steps) {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(AdaptationMethod.FULL).task(task).train(train)
                .training(TrainingConfig.builder().maxSteps(steps).batchSize(8).blockSize(16).learningRate(5e-3)
                        .minLearningRate(0).warmupSteps(2).weightDecay(0.0).seed(3).build())
                .maxLength(16).outputDir(out);
    }

    @Test
    void domain_adaptation_lowers_domain_loss_and_reports_forgetting() throws IOException {
        Path original = Files.writeString(dir.resolve("original.txt"), repeat(new String[] {
            "the cat sat on the mat.\n", "a dog ran to the log.\n", "we see the sea and the sky.\n"}, 150));
        Path domain = Files.writeString(dir.resolve("domain.txt"), repeat(new String[] {
            "the sea sat on the log.\n", "a cat ran to the sky.\n", "we see the dog and the mat.\n"}, 150));
        Path base = pretrained(original);
        TrainingResult r = new DjlAdapter(Device.cpu()).adapt(
                spec(base, AdaptationTask.CAUSAL_LM, domain, dir.resolve("adapted"), 40).patience(0).reference(original)
                        .build());

        assertThat(r.metrics().get("dev_loss")).isLessThan(r.metrics().get("dev_loss_before") - 0.2);
        assertThat(r.metrics()).containsKeys("reference_loss_before", "reference_loss", "forgetting");
        assertThat(r.metrics().get("forgetting"))
                .isEqualTo(r.metrics().get("reference_loss") - r.metrics().get("reference_loss_before"));
        assertThat(ModelFolder.readMetadata(r.output()).task()).isEqualTo("causal-lm");
        assertThat(ModelFolder.readMetadata(r.output()).base()).isEqualTo(base.toAbsolutePath().toString());
    }

    @Test
    void prompt_response_masks_every_prompt_target_and_learns_the_responses() throws IOException {
        CharTokenizer tok = CharTokenizer.fromText("abc:= ");
        List<int[][]> rows = Gpt2Adaptation.encodePairs(List.of(new LabelledExample("ab:", "cc")), tok, 16);
        // sequence a b : c c (no end-of-text in a char vocabulary): targets b : c c, only the two c are response
        assertThat(rows.get(0)[1]).containsExactly(tok.encode("b:cc"));
        assertThat(rows.get(0)[2]).containsExactly(0, 0, 1, 1);

        Path original = Files.writeString(dir.resolve("original.txt"), repeat(new String[] {
            "the cat sat on the mat.\n", "a dog ran to the log.\n", "q: cat a: mat\n"}, 150));
        Path base = pretrained(original);
        Path pairs = Files.write(dir.resolve("pairs.tsv"), List.of("q: cat a:\t dog", "q: sea a:\t hat",
                "q: log a:\t mat", "q: the a:\t end"));
        TrainingResult r = new DjlAdapter(Device.cpu()).adapt(spec(base, AdaptationTask.PROMPT_RESPONSE, pairs,
                dir.resolve("pr"), 30).dev(pairs).build());
        assertThat(r.metrics().get("dev_loss")).isLessThan(r.metrics().get("dev_loss_before") / 2);
        assertThat(dev.keel.spi.checkpoint.ChatTemplate.read(r.output())).as("what chat serving shapes turns with")
                .contains(new dev.keel.spi.checkpoint.ChatTemplate(dev.keel.spi.checkpoint.ChatTemplate.VERBATIM));
    }
}
