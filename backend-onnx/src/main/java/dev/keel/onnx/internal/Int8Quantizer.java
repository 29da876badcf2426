package dev.keel.onnx.internal;

import com.google.protobuf.ByteString;
import dev.keel.onnx.internal.proto.Onnx.GraphProto;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.onnx.internal.proto.Onnx.NodeProto;
import dev.keel.onnx.internal.proto.Onnx.OperatorSetIdProto;
import dev.keel.onnx.internal.proto.Onnx.TensorProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of an encoder graph: every MatMul by a constant 2-D weight becomes ONNX
 * Runtime's {@code com.microsoft.DynamicQuantizeMatMul}, with the weight stored as int8 per output column
 * (symmetric, scale = max|w| / 127) and the activations quantized on the fly. The linear layers are nearly
 * all of a small encoder's work, and int8 dot products do four times the multiply-adds of float32 per
 * instruction on CPUs with VNNI; the price is a small change in the vectors (the tests bound it).
 */
final class Int8Quantizer {
    static final String MS_DOMAIN = "com.microsoft";

    private Int8Quantizer() { }

    static ModelProto quantize(ModelProto model) {
        GraphProto graph = model.getGraph();
        Map<String, TensorProto> initializers = new HashMap<>();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, Integer> uses = new HashMap<>();
        graph.getNodeList().forEach(n -> n.getInputList().forEach(i -> uses.merge(i, 1, Integer::sum)));

        GraphProto.Builder out = graph.toBuilder().clearNode();
        Set<String> quantized = new HashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            TensorProto w = node.getOpType().equals("MatMul") && node.getInputCount() == 2
                    ? initializers.get(node.getInput(1)) : null;
            if (w == null || w.getDimsCount() != 2 || w.getDataType() != TensorProto.DataType.FLOAT_VALUE
                    || uses.getOrDefault(w.getName(), 0) != 1) {
                out.addNode(node);
                continue;
            }
            String base = w.getName();
            addQuantized(out, base, BertImport.floats(w), (int) w.getDims(0), (int) w.getDims(1));
            quantized.add(base);
            out.addNode(NodeProto.newBuilder().setOpType("DynamicQuantizeMatMul").setDomain(MS_DOMAIN)
                    .setName(node.getName() + "_int8")
                    .addInput(node.getInput(0)).addInput(base + "_int8").addInput(base + "_scale")
                    .addInput(base + "_zero").addOutput(node.getOutput(0)));
        }
        for (int i = out.getInitializerCount() - 1; i >= 0; i--) {
            if (quantized.contains(out.getInitializer(i).getName())) {
                out.removeInitializer(i);
            }
        }
        ModelProto.Builder m = model.toBuilder().setGraph(out);
        if (m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(MS_DOMAIN))) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MS_DOMAIN).setVersion(1));
        }
        return m.build();
    }

    private static void addQuantized(GraphProto.Builder g, String base, float[] w, int rows, int cols) {
        float[] scale = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                scale[c] = Math.max(scale[c], Math.abs(w[r * cols + c]));
            }
        }
        for (int c = 0; c < cols; c++) {
            scale[c] = scale[c] == 0 ? 1 : scale[c] / 127f;
        }
        byte[] q = new byte[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                q[r * cols + c] = (byte) Math.max(-127, Math.min(127, Math.round(w[r * cols + c] / scale[c])));
            }
        }
        java.nio.ByteBuffer s = java.nio.ByteBuffer.allocate(cols * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        s.asFloatBuffer().put(scale);
        g.addInitializer(TensorProto.newBuilder().setName(base + "_int8").setDataType(TensorProto.DataType.INT8_VALUE)
                .addDims(rows).addDims(cols).setRawData(ByteString.copyFrom(q)));
        g.addInitializer(TensorProto.newBuilder().setName(base + "_scale").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(cols).setRawData(ByteString.copyFrom(s.array())));
        g.addInitializer(TensorProto.newBuilder().setName(base + "_zero").setDataType(TensorProto.DataType.INT8_VALUE)
                .addDims(cols).setRawData(ByteString.copyFrom(new byte[cols])));
    }
}
