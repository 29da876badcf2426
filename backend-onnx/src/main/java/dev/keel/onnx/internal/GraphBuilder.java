package dev.keel.onnx.internal;

import com.google.protobuf.ByteString;
import dev.keel.onnx.internal.proto.Onnx.AttributeProto;
import dev.keel.onnx.internal.proto.Onnx.GraphProto;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.onnx.internal.proto.Onnx.NodeProto;
import dev.keel.onnx.internal.proto.Onnx.OperatorSetIdProto;
import dev.keel.onnx.internal.proto.Onnx.TensorProto;
import dev.keel.onnx.internal.proto.Onnx.TensorShapeProto;
import dev.keel.onnx.internal.proto.Onnx.TypeProto;
import dev.keel.onnx.internal.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A small writer of ONNX graphs: inputs, outputs, initializers (raw little-endian data) and nodes with
 * generated unique value names. Opset 17 (LayerNormalization), IR version 8: what ONNX Runtime 1.14 and
 * later run, and every current ONNX tool reads.
 */
final class GraphBuilder {
    static final int OPSET = 17;
    static final int IR_VERSION = 8;
    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    static final int INT64 = TensorProto.DataType.INT64_VALUE;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private int counter;

    GraphBuilder(String name) {
        graph.setName(name);
    }

    /** A graph input; a dimension given as a String is symbolic (batch, sequence), a Long is fixed. */
    void input(String name, int elemType, Object... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
    }

    void output(String name, int elemType, Object... dims) {
        graph.addOutput(valueInfo(name, elemType, dims));
    }

    private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                dim.setDimParam(s);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    /** A float initializer from little-endian bytes (a safetensors slice or a transposed copy). */
    String floats(String name, long[] shape, ByteBuffer littleEndianData) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT)
                .setRawData(ByteString.copyFrom(littleEndianData.duplicate()));
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    String floats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return floats(name, shape, b);
    }

    String scalar(float value) {
        return floats(fresh("c"), new long[0], new float[] {value});
    }

    String longs(long... values) {
        return longsShaped(new long[] {values.length}, values);
    }

    String longScalar(long value) {
        return longsShaped(new long[0], new long[] {value});
    }

    private String longsShaped(long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        String name = fresh("c");
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(INT64)
                .setRawData(ByteString.copyFrom(b));
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    String fresh(String hint) {
        return hint + "_" + (counter++);
    }

    /** Adds a node with one fresh output and returns the output's name. */
    String op(String opType, String[] inputs, AttributeProto... attributes) {
        String out = fresh(opType);
        opTo(opType, inputs, new String[] {out}, attributes);
        return out;
    }

    String op(String opType, String a, AttributeProto... attributes) {
        return op(opType, new String[] {a}, attributes);
    }

    String op(String opType, String a, String b, AttributeProto... attributes) {
        return op(opType, new String[] {a, b}, attributes);
    }

    void opTo(String opType, String[] inputs, String[] outputs, AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(fresh("n_" + opType));
        for (String i : inputs) {
            n.addInput(i);
        }
        for (String o : outputs) {
            n.addOutput(o);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto attrInts(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    ModelProto model(String docString) {
        return ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("keel")
                .setProducerVersion("0.1.0").setDocString(docString)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph).build();
    }
}
