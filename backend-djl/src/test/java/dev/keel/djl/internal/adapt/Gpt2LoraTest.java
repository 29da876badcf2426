package dev.keel.djl.internal.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.djl.internal.gpt2.AdamW;
import dev.keel.djl.internal.gpt2.Gpt2Model;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.djl.internal.gpt2.Gpt2Session;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on gpt2: training only the adapters, PEFT's files, and merged serving equal to unmerged. */
class Gpt2LoraTest {
    @TempDir
    static Path dir;
    static Path original;
    static Path domain;
    static Path base;

    static String repeat(String[] lines, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        return sb.toString();
    }

    @BeforeAll
    static void pretrainATinyBase() throws IOException {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("tokens").toString());
        original = Files.writeString(dir.resolve("original.txt"), repeat(new String[] {
            "the cat sat on the mat.\n", "a dog ran to the log.\n", "we see the sea and the sky.\n",
            "q: cat a: mat\n"}, 150));
        domain = Files.writeString(dir.resolve("domain.txt"), repeat(new String[] {
            "the sea sat on the log.\n", "a cat ran to the sky.\n", "we see the dog and the mat.\n"}, 150));
        PretrainSpec spec = PretrainSpec.builder().architecture(new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5))
                .corpus(original).outputDir(dir.resolve("base"))
                .training(TrainingConfig.builder().maxSteps(60).batchSize(8).blockSize(16).learningRate(1e-2)
                        .minLearningRate(1e-3).warmupSteps(5).evalInterval(0).evalIters(0).seed(7).build())
                .build();
        base = new Gpt2Pretrainer(Device.cpu()).pretrain(spec).output();
    }

    private static AdaptationSpec.Builder lora(AdaptationTask task, Path train, Path out, LoraConfig lc, int steps) {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(AdaptationMethod.LORA).task(task).train(train)
                .lora(lc)
                .training(TrainingConfig.builder().maxSteps(steps).batchSize(8).blockSize(16).learningRate(3e-2)
                        .minLearningRate(0).warmupSteps(2).weightDecay(0.0).seed(3).build())
                .maxLength(16).outputDir(out);
    }

    private static TrainingResult adaptDomain(Path out, int steps) {
        return new DjlAdapter(Device.cpu())
                .adapt(lora(AdaptationTask.CAUSAL_LM, domain, out, LoraConfig.defaults(), steps).patience(0)
                        .reference(original).build());
    }

    @Test
    void lora_domain_adaptation_lowers_the_domain_loss_training_only_the_adapters() throws IOException {
        byte[] baseBefore = sha256(base.resolve(ModelFolder.WEIGHTS));
        TrainingResult r = adaptDomain(dir.resolve("lora-domain"), 40);

        assertThat(r.metrics().get("dev_loss")).isLessThan(r.metrics().get("dev_loss_before") - 0.2);
        assertThat(r.metrics()).containsKeys("reference_loss_before", "reference_loss", "forgetting");
        // c_attn in 2 layers: A [8, 32] and B [96, 8] each
        assertThat(r.trainableParameters()).isEqualTo(2L * (8 * 32 + 96 * 8));
        assertThat(r.parameters()).isGreaterThan(10 * r.trainableParameters());
        assertThat(sha256(base.resolve(ModelFolder.WEIGHTS))).isEqualTo(baseBefore);
        assertThat(r.output().resolve(ModelFolder.WEIGHTS)).doesNotExist();
        KeelMetadata meta = ModelFolder.readMetadata(r.output());
        assertThat(meta.method()).isEqualTo("lora");
        assertThat(meta.task()).isEqualTo("causal-lm");
        assertThat(meta.base()).isEqualTo(base.toAbsolutePath().toString());
        assertThat(((Number) meta.training().get("trainable_params")).longValue()).isEqualTo(r.trainableParameters());
        assertThat(meta.training()).containsEntry("lora_targets", List.of("c_attn"));
    }

    @Test
    void the_lora_folder_has_peft_names_and_config_and_serves_the_logits_of_the_unmerged_adapter() {
        Path out = adaptDomain(dir.resolve("lora-folder"), 10).output();

        Map<String, Object> config = Json.readObject(out.resolve(LoraAdapter.CONFIG));
        assertThat(config).containsEntry("peft_type", "LORA").containsEntry("task_type", "CAUSAL_LM")
                .containsEntry("target_modules", List.of("c_attn")).containsEntry("fan_in_fan_out", true)
                .containsEntry("base_model_name_or_path", base.toAbsolutePath().toString());
        assertThat(((Number) config.get("r")).intValue()).isEqualTo(8);
        assertThat(((Number) config.get("lora_alpha")).doubleValue()).isEqualTo(8.0);
        Map<String, Tensor> tensors = Safetensors.read(out.resolve(LoraAdapter.WEIGHTS)).tensors();
        assertThat(tensors.keySet()).containsExactlyInAnyOrder(
                "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight",
                "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight",
                "base_model.model.transformer.h.1.attn.c_attn.lora_A.weight",
                "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight");
        assertThat(tensors.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape())
                .containsExactly(8, 32);
        assertThat(tensors.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape())
                .containsExactly(96, 8);
        assertThat(ModelFolder.readConfig(out)).isEqualTo(ModelFolder.readConfig(base));
        assertThat(ModelFolder.readTokenizer(out).vocabSize()).isEqualTo(ModelFolder.readTokenizer(base).vocabSize());

        int[] tokens = ModelFolder.readTokenizer(out).encode("the sea sat on");
        Gpt2Config gpt2 = (Gpt2Config) ModelFolder.readConfig(base);
        float[] unmerged;
        try (Gpt2Model model = Gpt2Model.fromTensors(gpt2, ModelFolder.readWeights(base).tensors(), ai.djl.Device.cpu())) {
            model.loadLora(LoraAdapter.read(out));
            unmerged = logits(model, tokens);
        }
        float[] merged;
        try (Gpt2Model model = Gpt2Model.fromTensors(gpt2, AdaptedModels.mergedWeights(out), ai.djl.Device.cpu())) {
            merged = logits(model, tokens);
        }
        float[] baseLogits;
        try (Gpt2Model model = Gpt2Model.fromTensors(gpt2, ModelFolder.readWeights(base).tensors(), ai.djl.Device.cpu())) {
            baseLogits = logits(model, tokens);
        }
        float[] served;
        try (Gpt2Session session = Gpt2Session.open(out, dev.keel.api.infer.SessionOptions.defaults())) {
            served = flatten(session.logits(tokens));
        }
        assertThat(maxDifference(unmerged, merged)).isLessThan(1e-5);
        assertThat(maxDifference(served, merged)).isLessThan(1e-5);
        assertThat(maxDifference(baseLogits, merged)).as("the adapter changes the model").isGreaterThan(1e-3);
    }

    @Test
    void lora_training_leaves_every_base_array_bit_identical_and_round_trips_through_peft_files() {
        Gpt2Config gpt2 = (Gpt2Config) ModelFolder.readConfig(base);
        Map<String, Tensor> baseTensors = ModelFolder.readWeights(base).tensors();
        int[] tokens = ModelFolder.readTokenizer(base).encode("a cat ran to the");
        float[] trained;
        Map<String, Tensor> adapterTensors;
        try (Gpt2Model model = Gpt2Model.fromTensors(gpt2, baseTensors, ai.djl.Device.cpu())) {
            Map<String, String> before = bytes(model.toTensors());
            model.addLora(new LoraConfig(4, 16, 0.1, List.of("c_attn", "mlp.c_proj")), 5);
            assertThat(model.loraArrays()).hasSize(8);
            model.setLoraTrainable(true);
            long[] x = new long[tokens.length - 1];
            long[] y = new long[tokens.length - 1];
            for (int i = 0; i + 1 < tokens.length; i++) {
                x[i] = tokens[i];
                y[i] = tokens[i + 1];
            }
            try (AdamW optimizer = AdamW.overArrays(model.loraArrays(), model.manager(), 0.9, 0.99, 0.1)) {
                for (int step = 0; step < 5; step++) {
                    try (NDManager local = model.manager().newSubManager()) {
                        NDArray xs = DjlEngine.ownedLongs(local, x, new Shape(1, x.length));
                        NDArray ys = DjlEngine.ownedLongs(local, y, new Shape(1, y.length));
                        try (GradientCollector collector = DjlEngine.pytorch().newGradientCollector()) {
                            collector.backward(model.loss(local, xs, ys, true));
                        }
                        optimizer.clipAndUpdate(local, 1e-2, 1.0);
                    }
                }
            }
            model.setLoraTrainable(false);
            assertThat(bytes(model.toTensors())).isEqualTo(before);
            assertThat(model.peftTensors().get("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight").toFloats())
                    .as("B has left zero").isNotEqualTo(new float[4 * 32]);
            trained = logits(model, tokens);
            adapterTensors = model.peftTensors();
        }
        Path out = dir.resolve("round-trip");
        new LoraAdapter(LoraAdapter.peftConfig(new LoraConfig(4, 16, 0.1, List.of("c_attn", "mlp.c_proj")),
                base.toString(), "CAUSAL_LM", List.of("c_attn", "mlp.c_proj"), true, List.of()), adapterTensors).write(out);
        try (Gpt2Model model = Gpt2Model.fromTensors(gpt2, baseTensors, ai.djl.Device.cpu())) {
            model.loadLora(LoraAdapter.read(out));
            assertThat(maxDifference(logits(model, tokens), trained)).isLessThan(1e-6);
        }
    }

    @Test
    void prompt_response_lora_learns_the_responses() throws IOException {
        Path pairs = Files.write(dir.resolve("pairs.tsv"), List.of("q: cat a:\t dog", "q: sea a:\t hat",
                "q: log a:\t mat", "q: the a:\t end"));
        TrainingResult r = new DjlAdapter(Device.cpu()).adapt(lora(AdaptationTask.PROMPT_RESPONSE, pairs,
                dir.resolve("pr"), new LoraConfig(8, 16, 0, List.of("c_attn", "c_proj", "c_fc")), 40).dev(pairs).build());
        assertThat(r.metrics().get("dev_loss")).isLessThan(r.metrics().get("dev_loss_before") / 2);
        assertThat(Json.readObject(r.output().resolve(LoraAdapter.CONFIG)))
                .containsEntry("target_modules", List.of("c_attn", "c_proj", "c_fc"));
        assertThat(LoraAdapter.read(r.output()).modules()).hasSize(2 * 4);
        assertThat(ModelFolder.readMetadata(r.output()).task()).isEqualTo("prompt-response");
    }

    @Test
    void an_unknown_target_module_fails_naming_the_valid_ones_and_writes_nothing() {
        Path out = dir.resolve("bad-target");
        assertThatThrownBy(() -> adaptWith(new LoraConfig(8, 8, 0, List.of("c_attn", "query")), out))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'query'").hasMessageContaining("c_attn").hasMessageContaining("c_fc");
        assertThat(out).doesNotExist();
    }

    @Test
    void a_rank_or_alpha_below_one_is_refused_before_any_work() {
        assertThatThrownBy(() -> new LoraConfig(0, 8, 0, List.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("rank must be positive");
        assertThatThrownBy(() -> new LoraConfig(8, -1, 0, List.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("alpha must be positive");
    }

    private static TrainingResult adaptWith(LoraConfig lc, Path out) {
        return new DjlAdapter(Device.cpu()).adapt(lora(AdaptationTask.CAUSAL_LM, domain, out, lc, 5).build());
    }

    private static float[] logits(Gpt2Model model, int[] tokens) {
        try (NDManager local = model.manager().newSubManager()) {
            long[] ids = new long[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                ids[i] = tokens[i];
            }
            return model.forward(local, DjlEngine.ownedLongs(local, ids, new Shape(1, ids.length)), null, false)
                    .toFloatArray();
        }
    }

    private static float[] flatten(float[][] rows) {
        int width = rows[0].length;
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * width, width);
        }
        return out;
    }

    private static double maxDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** Each tensor's raw bytes, Base64 so that maps compare by content. */
    private static Map<String, String> bytes(List<Tensor> tensors) {
        return tensors.stream().collect(Collectors.toMap(Tensor::name, t -> {
            byte[] b = new byte[t.data().remaining()];
            t.data().duplicate().get(b);
            return java.util.Base64.getEncoder().encodeToString(b);
        }));
    }

    private static byte[] sha256(Path file) throws IOException {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The loss of the first training step of a run (computed before the first update). */
    private static double firstStepLoss(AdaptationSpec spec) {
        double[] first = {Double.NaN};
        new DjlAdapter(Device.cpu()).adapt(spec, e -> {
            if (e instanceof dev.keel.api.train.TrainingEvent.Step st && st.step() == 1) {
                first[0] = st.loss();
            }
        });
        return first[0];
    }

    @Test
    void a_warm_started_run_begins_at_the_champions_loss_on_the_same_batch_not_at_the_bases() {
        LoraConfig noDropout = new LoraConfig(8, 8, 0.0, List.of());
        Path champion = new DjlAdapter(Device.cpu()).adapt(lora(AdaptationTask.CAUSAL_LM, domain,
                dir.resolve("warm-champion"), noDropout, 40).build()).output();
        Path merged = AdaptedModels.mergeLora(champion, dir.resolve("warm-champion-merged"));

        // one step on the same data and seed, so every run draws the same first batch
        double fresh = firstStepLoss(lora(AdaptationTask.CAUSAL_LM, original, dir.resolve("warm-fresh"), noDropout, 1)
                .build());
        double warmLora = firstStepLoss(lora(AdaptationTask.CAUSAL_LM, original, dir.resolve("warm-lora"), noDropout, 1)
                .warmStart(ModelRef.of(champion)).build());
        // the champion's own loss on that batch: a full run whose weights are the champion's, merged
        double championsLoss = firstStepLoss(lora(AdaptationTask.CAUSAL_LM, original, dir.resolve("warm-merged"),
                noDropout, 1).base(ModelRef.of(merged)).method(AdaptationMethod.FULL).build());
        double warmFull = firstStepLoss(lora(AdaptationTask.CAUSAL_LM, original, dir.resolve("warm-full"), noDropout, 1)
                .method(AdaptationMethod.FULL).warmStart(ModelRef.of(merged)).build());

        assertThat(warmLora).isCloseTo(championsLoss, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(warmFull).isCloseTo(championsLoss, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(Math.abs(fresh - championsLoss)).as("the champion was trained away from the base").isGreaterThan(0.05);
    }

    @Test
    void a_warm_start_that_does_not_fit_the_run_is_refused_before_training() {
        Path champion = adaptDomain(dir.resolve("warm-misfit"), 2).output();
        assertThatThrownBy(() -> new DjlAdapter(Device.cpu()).adapt(lora(AdaptationTask.CAUSAL_LM, domain,
                dir.resolve("warm-misfit-full"), LoraConfig.defaults(), 1).method(AdaptationMethod.FULL)
                .warmStart(ModelRef.of(champion)).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is a LoRA folder")
                .hasMessageContaining("--method full");
        assertThatThrownBy(() -> new DjlAdapter(Device.cpu()).adapt(lora(AdaptationTask.CAUSAL_LM, domain,
                dir.resolve("warm-misfit-rank"), new LoraConfig(4, 8, 0.0, List.of()), 1)
                .warmStart(ModelRef.of(champion)).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("rank 8")
                .hasMessageContaining("rank 4");
        assertThat(dir.resolve("warm-misfit-full")).doesNotExist();
    }
}
