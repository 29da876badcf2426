package dev.keel.registry;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.Labels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small but real model folders of each kind, written with Keel's own writers. */
final class TestModels {
    private TestModels() { }

    /** A tiny gpt2 "pretrained" folder with training settings, data fingerprints and metrics in keel.json. */
    static Path pretrained(Path dir, long seed) {
        Gpt2Config config = new Gpt2Config(16, 8, 4, 1, 1, 0.0, true, 1e-5);
        Random r = new Random(seed);
        float[] w = new float[16 * 4];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("max_steps", 300);
        training.put("learning_rate", 0.001);
        training.put("seed", seed);
        KeelMetadata meta = KeelMetadata.create("djl", "pretrain").withTraining(training)
                .withData(Map.of("train", "ab".repeat(32))).withMetrics(Map.of("val_loss", 1.5 + seed / 100.0));
        ModelFolder.write(dir, config, List.of(Tensor.ofFloats("wte.weight", new long[] {16, 4}, w)), null, meta);
        return dir;
    }

    /** A head folder over {@code base} (a folder path or builtin:NAME) that always favours {@code favoured}. */
    static Path head(Path dir, String base, int favoured) {
        int features = 384;
        float[] weight = new float[2 * features];
        float[] bias = new float[2];
        bias[favoured] = 20f; // a constant classifier: which version answered is plain from its labels
        ClassifierHead head = ClassifierHead.fromTensors(Map.of(
                ClassifierHead.WEIGHT, Tensor.ofFloats(ClassifierHead.WEIGHT, new long[] {2, features}, weight),
                ClassifierHead.BIAS, Tensor.ofFloats(ClassifierHead.BIAS, new long[] {2}, bias)));
        KeelMetadata meta = KeelMetadata.create("onnx", "head").withBase(base, "classify", List.of(base))
                .withMetrics(Map.of("dev_accuracy", 0.5 + favoured / 10.0));
        AdaptedModels.writeHeadFolder(dir, BertConfig.miniLmL6(), Labels.of(List.of("neg", "pos")), 128, head, meta);
        return dir;
    }

    /** A LoRA folder (PEFT files) naming {@code base}. */
    static Path lora(Path dir, String base) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, Object> peft = new LinkedHashMap<>();
        peft.put("peft_type", "LORA");
        peft.put("base_model_name_or_path", base);
        peft.put("r", 2);
        peft.put("lora_alpha", 4);
        peft.put("target_modules", List.of("c_attn"));
        AtomicFiles.writeString(dir.resolve(LoraAdapter.CONFIG), Json.pretty(peft) + "\n");
        Safetensors.write(dir.resolve(LoraAdapter.WEIGHTS), List.of(Tensor.ofFloats(
                "base_model.model.h.0.attn.c_attn.lora_A.weight", new long[] {2, 4}, new float[8])), Map.of());
        ModelFolder.writeConfig(dir, new Gpt2Config(16, 8, 4, 1, 1, 0.0, true, 1e-5));
        ModelFolder.writeMetadata(dir, KeelMetadata.create("djl", "lora").withBase(base, "causal-lm", List.of(base)));
        return dir;
    }
}
