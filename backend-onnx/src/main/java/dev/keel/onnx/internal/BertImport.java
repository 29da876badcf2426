package dev.keel.onnx.internal;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.onnx.internal.proto.Onnx.AttributeProto;
import dev.keel.onnx.internal.proto.Onnx.GraphProto;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.onnx.internal.proto.Onnx.NodeProto;
import dev.keel.onnx.internal.proto.Onnx.TensorProto;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.DType;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports the weights of a BERT-family ONNX model (all-MiniLM-L6-v2, or any Hugging Face {@code BertModel}
 * export) into a Keel {@code bert} folder: {@code config.json}, {@code model.safetensors} with Hugging Face
 * names ({@link BertLayout}), {@code tokenizer.json} and {@code keel.json}, so the training backends can
 * fine-tune it.
 *
 * <p>Exporters keep the names of biases and norms but often store linear weights as anonymous MatMul
 * operands ({@code onnx::MatMul_787}, shape {@code [in, out]}). Those are found by the graph's structure: the
 * weight feeding a MatMul whose output is added to the bias {@code X.bias} is {@code X.weight}, transposed
 * back to {@code nn.Linear}'s {@code [out, in]}.
 */
public final class BertImport {
    private static final String PREFIX = "bert.";

    private BertImport() { }

    /**
     * Writes a Keel bert folder for {@code source} ({@code builtin:all-minilm-l6-v2}, or a folder holding
     * {@code model.onnx}, {@code config.json} and {@code tokenizer.json}) into {@code target}, returning it.
     */
    public static Path importBert(ModelRef source, Path target) {
        if (source == null || target == null) {
            throw new InvalidInputException("import needs a source model and a target folder");
        }
        BertConfig config;
        Tokenizer tokenizer;
        ModelProto model;
        if (source.isBuiltin()) {
            // only the graph's bytes, config and tokenizer are read here: no cache is touched
            OnnxModel builtin = OnnxModel.builtin(source.builtinName().orElseThrow(), null);
            config = (BertConfig) builtin.config();
            tokenizer = builtin.tokenizer();
            model = parse(builtin.onnxBytes(), source.toString());
        } else {
            Path dir = ModelFolder.requireFolder(source.path().orElseThrow());
            Path file = dir.resolve(OnnxModel.GRAPH);
            if (!Files.exists(file)) {
                throw new CheckpointException(dir + " has no " + OnnxModel.GRAPH + " to import from");
            }
            ModelConfig c = ModelFolder.readConfig(dir);
            if (!(c instanceof BertConfig b)) {
                throw new InvalidInputException(dir + " holds a " + c.family() + " model; import reads bert models");
            }
            config = b;
            tokenizer = ModelFolder.readTokenizer(dir);
            try (InputStream in = Files.newInputStream(file)) {
                model = parse(in.readAllBytes(), file.toString());
            } catch (IOException e) {
                throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        List<Tensor> tensors = weights(model.getGraph(), config);
        KeelMetadata meta = KeelMetadata.create(OnnxBackendProvider.NAME, "import")
                .withBase(source.toString(), null, List.of(source.toString()))
                .withVersion("import:" + source);
        ModelFolder.write(target, config, tensors, tokenizer, meta);
        return target;
    }

    private static ModelProto parse(byte[] bytes, String what) {
        try {
            return ModelProto.parseFrom(bytes);
        } catch (IOException e) {
            throw new CheckpointException(what + " is not a valid ONNX model (" + e.getMessage() + ")", e);
        }
    }

    /** The encoder's tensors with Hugging Face names and layouts, in {@link BertLayout} order. */
    static List<Tensor> weights(GraphProto graph, BertConfig config) {
        Map<String, TensorProto> initializers = new HashMap<>();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        for (NodeProto n : graph.getNodeList()) {
            for (String in : n.getInputList()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        Map<String, long[]> expected = BertLayout.shapes(config);
        Map<String, Tensor> found = new LinkedHashMap<>();
        for (TensorProto init : graph.getInitializerList()) {
            String linear = linearModule(init.getName(), consumers, initializers);
            if (linear != null) {
                boolean transposed = !isGemmWithTransB(init.getName(), consumers);
                put(found, expected, linear + ".weight", init, transposed);
            } else {
                String name = init.getName().startsWith(PREFIX) ? init.getName().substring(PREFIX.length())
                        : init.getName();
                if (expected.containsKey(name) && !found.containsKey(name)) {
                    put(found, expected, name, init, false);
                }
            }
        }
        List<String> missing = expected.keySet().stream().filter(n -> !found.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw new CheckpointException("the ONNX graph does not hold every BERT weight: missing "
                    + missing.subList(0, Math.min(5, missing.size())) + (missing.size() > 5 ? " and "
                    + (missing.size() - 5) + " more" : "") + "; is it a BertModel export matching config.json?");
        }
        return expected.keySet().stream().map(found::get).toList();
    }

    /**
     * The Hugging Face module ({@code encoder.layer.0.attention.self.query}) whose linear weight this
     * initializer is, found through the MatMul (or Gemm) it feeds and the named bias added to the result.
     */
    private static String linearModule(String name, Map<String, List<NodeProto>> consumers,
            Map<String, TensorProto> initializers) {
        for (NodeProto n : consumers.getOrDefault(name, List.of())) {
            if (n.getInputCount() < 2 || !n.getInput(1).equals(name)) {
                continue;
            }
            if (n.getOpType().equals("Gemm") && n.getInputCount() > 2) {
                return module(n.getInput(2), initializers);
            }
            if (n.getOpType().equals("MatMul")) {
                for (NodeProto add : consumers.getOrDefault(n.getOutput(0), List.of())) {
                    if (!add.getOpType().equals("Add")) {
                        continue;
                    }
                    for (String in : add.getInputList()) {
                        String m = module(in, initializers);
                        if (m != null) {
                            return m;
                        }
                    }
                }
            }
        }
        return null;
    }

    private static String module(String biasName, Map<String, TensorProto> initializers) {
        if (!initializers.containsKey(biasName) || !biasName.endsWith(".bias")) {
            return null;
        }
        String m = biasName.substring(0, biasName.length() - ".bias".length());
        return m.startsWith(PREFIX) ? m.substring(PREFIX.length()) : m;
    }

    private static boolean isGemmWithTransB(String name, Map<String, List<NodeProto>> consumers) {
        for (NodeProto n : consumers.getOrDefault(name, List.of())) {
            if (n.getOpType().equals("Gemm")) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("transB") && a.getI() == 1) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void put(Map<String, Tensor> found, Map<String, long[]> expected, String name, TensorProto init,
            boolean transpose) {
        long[] want = expected.get(name);
        if (want == null) {
            return; // a linear layer Keel's BERT does not have (the pooler, a task head)
        }
        float[] values = floats(init);
        long[] shape = init.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) {
            count = d < 0 || (d > 0 && count > Integer.MAX_VALUE / d) ? -1 : count * d;
            if (count < 0) {
                break;
            }
        }
        if (count != values.length) {
            // found by fuzzing: a declared shape that does not match the data it claims to describe
            throw new CheckpointException("initializer " + init.getName() + " for " + name + " declares shape "
                    + Arrays.toString(shape) + " but holds " + values.length + " values; the ONNX graph is damaged "
                    + "(export it again)");
        }
        if (transpose) {
            if (shape.length != 2) {
                throw new CheckpointException("initializer " + init.getName() + " for " + name + " is not a matrix");
            }
            values = Blocks.transpose(values, (int) shape[0], (int) shape[1]);
            shape = new long[] {shape[1], shape[0]};
        }
        if (!Arrays.equals(shape, want)) {
            throw new CheckpointException("initializer " + init.getName() + " maps to " + name + " but has shape "
                    + Arrays.toString(shape) + ", expected " + Arrays.toString(want)
                    + "; config.json does not match the graph");
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        found.put(name, new Tensor(name, DType.F32, shape, b));
    }

    static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new CheckpointException("initializer " + t.getName() + " has ONNX data type " + t.getDataType()
                    + "; import reads float32 models (quantized models cannot be fine-tuned)");
        }
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new CheckpointException("initializer " + t.getName() + " lives in an external data file; "
                    + "save the model with its weights inside the .onnx file");
        }
        if (!t.getRawData().isEmpty()) {
            float[] out = new float[t.getRawData().size() / 4];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[t.getFloatDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloatData(i);
        }
        return out;
    }
}
