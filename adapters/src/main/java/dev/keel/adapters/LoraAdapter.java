package dev.keel.adapters;

import dev.keel.api.CheckpointException;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA adapter files in Hugging Face PEFT's layout, so PEFT's {@code PeftModel.from_pretrained} reads what
 * Keel writes and the other way round: {@code adapter_config.json} (peft_type LORA, r, lora_alpha,
 * target_modules, base_model_name_or_path, ...) and {@code adapter_model.safetensors} holding
 * {@code base_model.model.MODULE.lora_A.weight [r, in]} and {@code .lora_B.weight [out, r]} per adapted
 * module, plus the trained task layers PEFT calls {@code modules_to_save} (the classifier) under
 * {@code base_model.model.NAME}. The adapter's update is {@code W + (alpha / r) B A}; {@link #merge} folds it
 * into a base so a plain model folder serves it.
 *
 * @param config  the adapter_config.json content
 * @param tensors the adapter tensors by PEFT name
 */
public record LoraAdapter(Map<String, Object> config, Map<String, Tensor> tensors) {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String PREFIX = "base_model.model.";

    public LoraAdapter {
        config = new LinkedHashMap<>(config);
        tensors = new LinkedHashMap<>(tensors);
    }

    /** PEFT's adapter_config.json for these settings. */
    public static Map<String, Object> peftConfig(LoraConfig lora, String baseModel, String taskType,
            List<String> targetModules, boolean fanInFanOut, List<String> modulesToSave) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha_pattern", Map.of());
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", baseModel);
        m.put("bias", "none");
        m.put("fan_in_fan_out", fanInFanOut);
        m.put("inference_mode", true);
        m.put("init_lora_weights", true);
        m.put("layers_pattern", null);
        m.put("layers_to_transform", null);
        m.put("lora_alpha", lora.alpha());
        m.put("lora_dropout", lora.dropout());
        m.put("modules_to_save", modulesToSave.isEmpty() ? null : modulesToSave);
        m.put("peft_type", "LORA");
        m.put("r", lora.rank());
        m.put("rank_pattern", Map.of());
        m.put("revision", null);
        m.put("target_modules", targetModules);
        m.put("task_type", taskType);
        m.put("use_dora", false);
        m.put("use_rslora", false);
        return m;
    }

    /**
     * PEFT's initial {@code A [rank, in]}, row-major: Kaiming-uniform with a = sqrt(5), which is uniform in
     * {@code +-1/sqrt(in)}; B starts at zero, so an adapted model starts equal to its base.
     */
    public static float[] initialA(int rank, int in, java.util.Random random) {
        float[] a = new float[rank * in];
        double bound = 1 / Math.sqrt(in);
        for (int k = 0; k < a.length; k++) {
            a[k] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return a;
    }

    public static boolean isAdapterFolder(Path dir) {
        return Files.exists(dir.resolve(CONFIG));
    }

    public static LoraAdapter read(Path dir) {
        Path cfg = dir.resolve(CONFIG);
        if (!Files.exists(cfg)) {
            throw new CheckpointException(dir + " has no " + CONFIG + "; it is not a LoRA adapter folder");
        }
        Map<String, Object> config = Json.readObject(cfg);
        if (!"LORA".equals(String.valueOf(config.get("peft_type")))) {
            throw new CheckpointException(cfg + " names peft_type " + config.get("peft_type")
                    + "; Keel reads LORA adapters only");
        }
        Safetensors.Contents c = Safetensors.read(dir.resolve(WEIGHTS));
        Map<String, Tensor> copies = new LinkedHashMap<>();
        // copy out of the memory map so the adapter outlives the file (it may be rewritten later)
        c.tensors().forEach((k, t) -> copies.put(k, copy(t)));
        LoraAdapter a = new LoraAdapter(config, copies);
        if (a.modules().isEmpty()) {
            throw new CheckpointException(dir.resolve(WEIGHTS) + " holds no lora_A/lora_B tensors");
        }
        return a;
    }

    /** Writes both files atomically into {@code dir} (created when missing). */
    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Safetensors.write(dir.resolve(WEIGHTS), tensors.values(), Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(config) + "\n");
    }

    public int rank() {
        return ((Number) config.get("r")).intValue();
    }

    public double alpha() {
        return ((Number) config.get("lora_alpha")).doubleValue();
    }

    public double scaling() {
        return alpha() / rank();
    }

    public boolean fanInFanOut() {
        return Boolean.TRUE.equals(config.get("fan_in_fan_out"));
    }

    public String baseModel() {
        Object b = config.get("base_model_name_or_path");
        return b == null ? null : b.toString();
    }

    /** Module paths (without PEFT's prefix) that carry an adapter, in file order. */
    public List<String> modules() {
        Set<String> out = new LinkedHashSet<>();
        for (String k : tensors.keySet()) {
            if (k.endsWith(".lora_A.weight")) {
                out.add(k.substring(PREFIX.length(), k.length() - ".lora_A.weight".length()));
            }
        }
        return List.copyOf(out);
    }

    public Tensor loraA(String module) {
        return need(PREFIX + module + ".lora_A.weight");
    }

    public Tensor loraB(String module) {
        return need(PREFIX + module + ".lora_B.weight");
    }

    /** The trained non-LoRA tensors (modules_to_save), by model name without PEFT's prefix. */
    public Map<String, Tensor> savedModules() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            if (!k.contains(".lora_A.") && !k.contains(".lora_B.") && k.startsWith(PREFIX)) {
                String name = k.substring(PREFIX.length());
                out.put(name, new Tensor(name, t.dtype(), t.shape(), t.data()));
            }
        });
        return out;
    }

    private Tensor need(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException("the adapter has no tensor '" + name + "'; it has " + tensors.keySet());
        }
        return t;
    }

    /**
     * The base's tensors with every adapted weight replaced by {@code W + scaling * B A} (transposed for
     * GPT-2's Conv1D, {@code fan_in_fan_out}) and the adapter's saved modules added: a plain checkpoint that
     * gives the adapted model's outputs with no adapter code at serving time. A module whose weight the
     * base lacks under its own name is looked up without its first path component, so a
     * {@code bert.encoder...} adapter merges into an encoder-only {@code encoder...} base.
     */
    public List<Tensor> merge(Map<String, Tensor> base) {
        Map<String, Tensor> out = new LinkedHashMap<>(base);
        for (String module : modules()) {
            String name = module + ".weight";
            if (!base.containsKey(name) && name.indexOf('.') > 0 && base.containsKey(name.substring(name.indexOf('.') + 1))) {
                name = name.substring(name.indexOf('.') + 1);
            }
            Tensor w = base.get(name);
            if (w == null) {
                throw new CheckpointException("the base has no weight for adapted module '" + module
                        + "'; was the adapter trained on another model family?");
            }
            out.put(name, Tensor.ofFloats(name, w.shape(), mergedWeight(w, loraA(module), loraB(module))));
        }
        out.putAll(savedModules());
        return new ArrayList<>(out.values());
    }

    float[] mergedWeight(Tensor w, Tensor a, Tensor b) {
        int r = (int) a.shape()[0];
        int in = (int) a.shape()[1];
        int outDim = (int) b.shape()[0];
        boolean transposed = fanInFanOut();
        long[] expect = transposed ? new long[] {in, outDim} : new long[] {outDim, in};
        if (!java.util.Arrays.equals(w.shape(), expect) || b.shape()[1] != r) {
            throw new CheckpointException("adapter shapes A" + java.util.Arrays.toString(a.shape()) + " B"
                    + java.util.Arrays.toString(b.shape()) + " do not fit weight '" + w.name() + "' "
                    + java.util.Arrays.toString(w.shape()));
        }
        float[] wv = w.toFloats();
        float[] av = a.toFloats();
        float[] bv = b.toFloats();
        double s = scaling();
        for (int o = 0; o < outDim; o++) {
            for (int i = 0; i < in; i++) {
                double d = 0;
                for (int k = 0; k < r; k++) {
                    d += (double) bv[o * r + k] * av[k * in + i];
                }
                int idx = transposed ? i * outDim + o : o * in + i;
                wv[idx] += (float) (s * d);
            }
        }
        return wv;
    }

    private static Tensor copy(Tensor t) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(t.data().remaining());
        b.put(t.data().duplicate()).flip();
        return new Tensor(t.name(), t.dtype(), t.shape(), b);
    }
}
