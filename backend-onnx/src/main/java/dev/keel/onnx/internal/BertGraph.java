package dev.keel.onnx.internal;

import static dev.keel.onnx.internal.Blocks.f32;
import static dev.keel.onnx.internal.Blocks.transposed;
import static dev.keel.onnx.internal.GraphBuilder.attr;
import static dev.keel.onnx.internal.GraphBuilder.attrInts;

import dev.keel.api.model.BertConfig;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Tensor;
import java.util.Map;

/**
 * The ONNX graph of Hugging Face's {@code BertModel} for a Keel {@code bert} folder: inputs {@code input_ids},
 * {@code attention_mask}, {@code token_type_ids} (int64 {@code [batch, sequence]}), output
 * {@code last_hidden_state}, the same contract as sentence-transformers' exported MiniLM, so one session
 * serves both. Linear weights ({@code nn.Linear}, {@code [out, in]}) are stored transposed for MatMul.
 */
final class BertGraph {
    private static final String PREFIX = "bert.";

    private BertGraph() { }

    static ModelProto build(BertConfig c, Map<String, Tensor> w) {
        GraphBuilder g = new GraphBuilder("keel_bert");
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        g.input("input_ids", GraphBuilder.INT64, "batch", "sequence");
        g.input("attention_mask", GraphBuilder.INT64, "batch", "sequence");
        g.input("token_type_ids", GraphBuilder.INT64, "batch", "sequence");

        String words = g.op("Gather", param(g, w, "embeddings.word_embeddings.weight", c.vocabSize(), h), "input_ids");
        String types = g.op("Gather", param(g, w, "embeddings.token_type_embeddings.weight", c.typeVocabSize(), h),
                "token_type_ids");
        String seq = g.op("Gather", g.op("Shape", "input_ids"), g.longScalar(1), attr("axis", 0L));
        String positions = g.op("Range", new String[] {g.longScalar(0), seq, g.longScalar(1)});
        String pos = g.op("Gather", param(g, w, "embeddings.position_embeddings.weight", c.maxPositionEmbeddings(), h),
                positions);
        String x = g.op("Add", g.op("Add", words, types), pos);
        x = Blocks.layerNorm(g, x, param(g, w, "embeddings.LayerNorm.weight", h),
                param(g, w, "embeddings.LayerNorm.bias", h), c.layerNormEps());

        // padding gets a large negative score before the softmax: [B, 1, 1, T]
        String keep = g.op("Cast", "attention_mask", attr("to", (long) GraphBuilder.FLOAT));
        String maskBias = g.op("Mul", g.op("Sub", g.scalar(1f), keep), g.scalar(-1e9f));
        maskBias = g.op("Unsqueeze", maskBias, g.longs(1, 2));

        int heads = c.numAttentionHeads();
        int headSize = c.hiddenSize() / heads;
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String q = Blocks.splitHeads(g, linearT(g, w, x, layer(i, "attention.self.query"), h, h), heads, headSize);
            String k = Blocks.splitHeads(g, linearT(g, w, x, layer(i, "attention.self.key"), h, h), heads, headSize);
            String v = Blocks.splitHeads(g, linearT(g, w, x, layer(i, "attention.self.value"), h, h), heads, headSize);
            String kt = g.op("Transpose", k, attrInts("perm", 0, 1, 3, 2));
            String scores = g.op("Mul", g.op("MatMul", q, kt), g.scalar((float) (1 / Math.sqrt(headSize))));
            String probs = g.op("Softmax", g.op("Add", scores, maskBias), attr("axis", -1L));
            String ctx = Blocks.mergeHeads(g, g.op("MatMul", probs, v), c.hiddenSize());
            String attn = linearT(g, w, ctx, layer(i, "attention.output.dense"), h, h);
            x = Blocks.layerNorm(g, g.op("Add", attn, x), param(g, w, layer(i, "attention.output.LayerNorm.weight"), h),
                    param(g, w, layer(i, "attention.output.LayerNorm.bias"), h), c.layerNormEps());
            String inter = Blocks.gelu(g, linearT(g, w, x, layer(i, "intermediate.dense"), f, h), "gelu");
            String out = linearT(g, w, inter, layer(i, "output.dense"), h, f);
            x = Blocks.layerNorm(g, g.op("Add", out, x), param(g, w, layer(i, "output.LayerNorm.weight"), h),
                    param(g, w, layer(i, "output.LayerNorm.bias"), h), c.layerNormEps());
        }
        g.opTo("Identity", new String[] {x}, new String[] {"last_hidden_state"});
        g.output("last_hidden_state", GraphBuilder.FLOAT, "batch", "sequence", h);
        return g.model("Keel export of a BERT encoder (Hugging Face BertModel layout)");
    }

    private static String layer(int i, String rest) {
        return BertLayout.layer(i, rest);
    }

    private static String param(GraphBuilder g, Map<String, Tensor> w, String name, long... shape) {
        Tensor t = Blocks.weight(w, name, PREFIX, shape);
        return g.floats(name, shape, f32(t));
    }

    /** An nn.Linear ({@code weight [out, in]}, {@code bias [out]}) applied as MatMul with the transpose. */
    private static String linearT(GraphBuilder g, Map<String, Tensor> w, String x, String module, long out, long in) {
        Tensor weight = Blocks.weight(w, module + ".weight", PREFIX, out, in);
        String wt = g.floats(module + ".weight", new long[] {in, out}, transposed(weight));
        String b = param(g, w, module + ".bias", out);
        return Blocks.linear(g, x, wt, b);
    }
}
