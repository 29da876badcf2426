package dev.keel.adapters;

import dev.keel.api.ModelRef;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tck.AdaptedFolders;
import dev.keel.spi.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The compatibility kit's adapted folders, written with the adapters module's own formats (random weights, so
 * a folder of each kind appears in milliseconds) and opened as {@code KeelRuntime.open} opens them. Found by
 * the kit through {@code META-INF/services/dev.keel.spi.tck.AdaptedFolders} in this test-jar.
 */
public final class KitAdaptedFolders implements AdaptedFolders {
    private static final int MAX_LENGTH = 16;

    @Override
    public Path writeHead(Path base, List<String> labels, long seed, Path out) {
        ModelConfig config = ModelFolder.readConfig(base);
        int features = config instanceof BertConfig b ? b.hiddenSize() : ((Gpt2Config) config).nEmbd();
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> head = new LinkedHashMap<>();
        head.put(ClassifierHead.WEIGHT, random(ClassifierHead.WEIGHT, new long[] {labels.size(), features}, r, 1.0));
        head.put(ClassifierHead.BIAS, random(ClassifierHead.BIAS, new long[] {labels.size()}, r, 0.1));
        AdaptedModels.writeHeadFolder(out, config, Labels.of(labels), MAX_LENGTH, ClassifierHead.fromTensors(head),
                metadata(base, "head"));
        return out;
    }

    @Override
    public Path writeBertLora(Path base, List<String> labels, long seed, Path out) {
        BertConfig config = (BertConfig) ModelFolder.readConfig(base);
        SplittableRandom r = new SplittableRandom(seed);
        int h = config.hiddenSize();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<String> modules = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            for (String p : List.of("query", "value")) {
                modules.add("bert." + BertLayout.layer(i, "attention.self." + p));
            }
        }
        int rank = 2;
        for (String m : modules) {
            String name = LoraAdapter.PREFIX + m;
            tensors.put(name + ".lora_A.weight", random(name + ".lora_A.weight", new long[] {rank, h}, r, 0.5));
            tensors.put(name + ".lora_B.weight", random(name + ".lora_B.weight", new long[] {h, rank}, r, 0.5));
        }
        String w = LoraAdapter.PREFIX + ClassifierHead.WEIGHT;
        String b = LoraAdapter.PREFIX + ClassifierHead.BIAS;
        tensors.put(w, random(w, new long[] {labels.size(), h}, r, 1.0));
        tensors.put(b, random(b, new long[] {labels.size()}, r, 0.1));
        String baseRef = AdaptedModels.baseReference(ModelRef.of(base));
        writeClassifierConfig(out, config, labels);
        new LoraAdapter(LoraAdapter.peftConfig(new LoraConfig(rank, 4, 0, List.of("query", "value")), baseRef,
                "SEQ_CLS", List.of("query", "value"), false, List.of("classifier")), tensors).write(out);
        ModelFolder.writeMetadata(out, metadata(base, "lora"));
        return out;
    }

    @Override
    public Path writeBertFull(Path base, List<String> labels, long seed, Path out) {
        BertConfig config = (BertConfig) ModelFolder.readConfig(base);
        SplittableRandom r = new SplittableRandom(seed);
        List<Tensor> tensors = new ArrayList<>();
        ModelFolder.readWeights(base).tensors().forEach((name, t) -> tensors.add(
                new Tensor("bert." + name, t.dtype(), t.shape(), t.data())));
        tensors.add(random(ClassifierHead.WEIGHT, new long[] {labels.size(), config.hiddenSize()}, r, 1.0));
        tensors.add(random(ClassifierHead.BIAS, new long[] {labels.size()}, r, 0.1));
        writeClassifierConfig(out, config, labels);
        Safetensors.write(out.resolve(ModelFolder.WEIGHTS), tensors, Map.of("format", "pt"));
        Tokenizers.save(ModelFolder.readTokenizer(base), out);
        ModelFolder.writeMetadata(out, metadata(base, "full"));
        return out;
    }

    @Override
    public Path writeGpt2Lora(Path base, long seed, Path out) {
        Gpt2Config config = (Gpt2Config) ModelFolder.readConfig(base);
        SplittableRandom r = new SplittableRandom(seed);
        int e = config.nEmbd();
        int rank = 2;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < config.nLayer(); i++) {
            String name = LoraAdapter.PREFIX + Gpt2Layout.block(i, "attn.c_attn");
            tensors.put(name + ".lora_A.weight", random(name + ".lora_A.weight", new long[] {rank, e}, r, 0.5));
            tensors.put(name + ".lora_B.weight", random(name + ".lora_B.weight", new long[] {3L * e, rank}, r, 0.5));
        }
        AdaptedModels.createDirectories(out);
        AtomicFiles.writeString(out.resolve(ModelFolder.CONFIG), Json.pretty(config.toHfConfig()) + "\n");
        new LoraAdapter(LoraAdapter.peftConfig(new LoraConfig(rank, 4, 0, List.of("c_attn")),
                AdaptedModels.baseReference(ModelRef.of(base)), "CAUSAL_LM", List.of("c_attn"), true, List.of()),
                tensors).write(out);
        ModelFolder.writeMetadata(out, metadata(base, "lora"));
        return out;
    }

    @Override
    public InferenceSession open(BackendProvider provider, Path folder, SessionOptions options) {
        return AdaptedModels.open(folder, options, provider::open);
    }

    private static void writeClassifierConfig(Path out, BertConfig config, List<String> labels) {
        AdaptedModels.createDirectories(out);
        AtomicFiles.writeString(out.resolve(ModelFolder.CONFIG),
                Json.pretty(AdaptedModels.classifierConfig(config, Labels.of(labels), MAX_LENGTH)) + "\n");
    }

    private static KeelMetadata metadata(Path base, String method) {
        String ref = AdaptedModels.baseReference(ModelRef.of(base));
        return KeelMetadata.create("kit", method).withBase(ref, "classify", List.of(ref))
                .withVersion("kit-" + method + "-1");
    }

    private static Tensor random(String name, long[] shape, SplittableRandom r, double scale) {
        float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((r.nextDouble() - 0.5) * scale);
        }
        return Tensor.ofFloats(name, shape, v);
    }
}
