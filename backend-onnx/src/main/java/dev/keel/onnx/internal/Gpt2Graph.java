package dev.keel.onnx.internal;

import static dev.keel.onnx.internal.Blocks.f32;
import static dev.keel.onnx.internal.GraphBuilder.attr;
import static dev.keel.onnx.internal.GraphBuilder.attrInts;

import dev.keel.api.model.Gpt2Config;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Tensor;
import java.util.Map;

/**
 * The ONNX graph of Hugging Face's {@code GPT2LMHeadModel} with a key/value cache, for a Keel {@code gpt2}
 * folder. Inputs: {@code input_ids} int64 {@code [batch, sequence]} and, per layer,
 * {@code past_key_values.{i}.key|value} float {@code [batch, heads, past, head_size]} (past may be 0).
 * Outputs: {@code logits [batch, sequence, vocab]}, {@code present.{i}.key|value} (past + sequence) and
 * {@code last_hidden_state [batch, sequence, n_embd]} (after {@code ln_f}, what an embedding pools).
 * Positions continue after the past, and each new token attends to the past and to earlier new tokens, so
 * a prompt can be fed at once and then one token per step. The LM head is tied to {@code wte}.
 *
 * <p>The input {@code left_padding} int64 {@code [batch]} (or {@code [1]}, broadcast; {@code [0]} when no row is
 * padded) serves continuous batching: row {@code r}'s first {@code left_padding[r]} past positions are padding, masked out of attention
 * and not counted in its positions, so sequences of different lengths step together in one run.
 *
 * <p>The input {@code cache_length} int64 {@code [1]} (export format 5) chooses how the past is used. {@code -1}:
 * all of it is valid and {@code present} is the past followed by the new columns (prefill, one-sequence
 * generation). {@code n >= 0}: the past is a buffer of fixed capacity whose first {@code n} columns are valid (the
 * rest is masked), and {@code present} holds only the new columns, which the caller writes into its buffer at
 * column {@code n}: a decode step then reads the cache in place and copies none of it. Attention takes the past
 * and the new keys apart (two products, their softmax taken together), so neither mode concatenates the cache
 * before attending.
 */
final class Gpt2Graph {
    static final String INPUT_IDS = "input_ids";
    static final String LOGITS = "logits";
    static final String HIDDEN = "last_hidden_state";
    static final String LEFT_PADDING = "left_padding";
    static final String CACHE_LENGTH = "cache_length";

    private Gpt2Graph() { }

    static String pastKey(int layer) {
        return "past_key_values." + layer + ".key";
    }

    static String pastValue(int layer) {
        return "past_key_values." + layer + ".value";
    }

    static String presentKey(int layer) {
        return "present." + layer + ".key";
    }

    static String presentValue(int layer) {
        return "present." + layer + ".value";
    }

    static ModelProto build(Gpt2Config c, Map<String, Tensor> raw, String activation) {
        Map<String, Tensor> w = Gpt2Layout.normalize(raw, c);
        GraphBuilder g = new GraphBuilder("keel_gpt2");
        long e = c.nEmbd();
        int heads = c.nHead();
        int headSize = c.headSize();
        g.input(INPUT_IDS, GraphBuilder.INT64, "batch", "sequence");
        for (int i = 0; i < c.nLayer(); i++) {
            g.input(pastKey(i), GraphBuilder.FLOAT, "batch", (long) heads, "past", (long) headSize);
            g.input(pastValue(i), GraphBuilder.FLOAT, "batch", (long) heads, "past", (long) headSize);
        }
        g.input(LEFT_PADDING, GraphBuilder.INT64, "padded_rows");
        g.input(CACHE_LENGTH, GraphBuilder.INT64, 1L);
        String padding = g.op("Unsqueeze", LEFT_PADDING, g.longs(1));

        String past = g.op("Gather", g.op("Shape", pastKey(0)), g.longScalar(2), attr("axis", 0L));
        String seq = g.op("Gather", g.op("Shape", INPUT_IDS), g.longScalar(1), attr("axis", 0L));
        // cache_length < 0: the whole past is valid and present = past + new; >= 0: only that many past columns
        // are valid (the rest is capacity, masked) and present = the new columns alone
        String requested = g.op("Gather", CACHE_LENGTH, g.longScalar(0), attr("axis", 0L));
        String fixed = g.op("GreaterOrEqual", requested, g.longScalar(0));
        String valid = g.op("Where", new String[] {fixed, requested, past});
        String kept = g.op("Unsqueeze", g.op("Where", new String[] {fixed, g.longScalar(0), past}), g.longs(0));
        String pastEnd = g.op("Unsqueeze", past, g.longs(0));
        String positions = g.op("Range", new String[] {valid, g.op("Add", valid, seq), g.longScalar(1)});
        String wte = param(g, w, "wte.weight", c.vocabSize(), e);
        // [rows, sequence]: each row's positions start after its padding
        String rowPositions = g.op("Sub", g.op("Unsqueeze", positions, g.longs(0)), padding);
        String x = g.op("Add", g.op("Gather", wte, INPUT_IDS),
                g.op("Gather", param(g, w, "wpe.weight", c.nPositions(), e), rowPositions));

        // keys are the past's columns then the new tokens: new token i (index past + i) sees the keys up to itself
        String total = g.op("Add", past, seq);
        String keys = g.op("Range", new String[] {g.longScalar(0), total, g.longScalar(1)});
        String queries = g.op("Range", new String[] {past, total, g.longScalar(1)});
        String causal = g.op("LessOrEqual", g.op("Unsqueeze", keys, g.longs(0)),
                g.op("Unsqueeze", queries, g.longs(1)));
        // past columns beyond the valid length are unused capacity: [1, past + sequence]
        String cached = g.op("Unsqueeze", g.op("Or", g.op("Less", keys, valid), g.op("GreaterOrEqual", keys, past)),
                g.longs(0));
        // and not a padded key of its row: [rows, 1, 1, past + sequence] & [sequence, past + sequence]
        String unpadded = g.op("Unsqueeze", g.op("GreaterOrEqual", g.op("Unsqueeze", keys, g.longs(0)), padding),
                g.longs(1, 2));
        String allowed = g.op("And", unpadded, g.op("And", causal, cached));
        String masked = g.scalar(-1e9f);
        String scale = g.scalar((float) (1 / Math.sqrt(headSize)));

        for (int i = 0; i < c.nLayer(); i++) {
            String ln1 = Blocks.layerNorm(g, x, param(g, w, block(i, "ln_1.weight"), e),
                    bias(g, w, c, block(i, "ln_1.bias"), e), c.layerNormEpsilon());
            String qkv = Blocks.linear(g, ln1, param(g, w, block(i, "attn.c_attn.weight"), e, 3 * e),
                    bias(g, w, c, block(i, "attn.c_attn.bias"), 3 * e));
            String q = g.fresh("q");
            String k = g.fresh("k");
            String v = g.fresh("v");
            g.opTo("Split", new String[] {qkv, g.longs(e, e, e)}, new String[] {q, k, v}, attr("axis", 2L));
            String qh = Blocks.splitHeads(g, q, heads, headSize);
            String kh = Blocks.splitHeads(g, k, heads, headSize);
            String vh = Blocks.splitHeads(g, v, heads, headSize);
            g.opTo("Concat", new String[] {slicePast(g, pastKey(i), kept), kh}, new String[] {presentKey(i)},
                    attr("axis", 2L));
            g.opTo("Concat", new String[] {slicePast(g, pastValue(i), kept), vh}, new String[] {presentValue(i)},
                    attr("axis", 2L));
            // attention reads the past in place: scores and weighted values of past and new keys are computed
            // apart, so no step copies the cache into one tensor
            String scores = g.op("Concat", new String[] {
                g.op("MatMul", qh, g.op("Transpose", pastKey(i), attrInts("perm", 0, 1, 3, 2))),
                g.op("MatMul", qh, g.op("Transpose", kh, attrInts("perm", 0, 1, 3, 2)))}, attr("axis", -1L));
            scores = g.op("Where", new String[] {allowed, g.op("Mul", scores, scale), masked});
            String probs = g.op("Softmax", scores, attr("axis", -1L));
            String pastProbs = g.op("Slice", new String[] {probs, g.longs(0), pastEnd, g.longs(3)});
            String newProbs = g.op("Slice", new String[] {probs, pastEnd, g.longs(Long.MAX_VALUE), g.longs(3)});
            String y = Blocks.mergeHeads(g, g.op("Add", g.op("MatMul", pastProbs, pastValue(i)),
                    g.op("MatMul", newProbs, vh)), c.nEmbd());
            y = Blocks.linear(g, y, param(g, w, block(i, "attn.c_proj.weight"), e, e),
                    bias(g, w, c, block(i, "attn.c_proj.bias"), e));
            x = g.op("Add", x, y);
            String ln2 = Blocks.layerNorm(g, x, param(g, w, block(i, "ln_2.weight"), e),
                    bias(g, w, c, block(i, "ln_2.bias"), e), c.layerNormEpsilon());
            String hidden = Blocks.linear(g, ln2, param(g, w, block(i, "mlp.c_fc.weight"), e, 4 * e),
                    bias(g, w, c, block(i, "mlp.c_fc.bias"), 4 * e));
            hidden = Blocks.gelu(g, hidden, activation);
            hidden = Blocks.linear(g, hidden, param(g, w, block(i, "mlp.c_proj.weight"), 4 * e, e),
                    bias(g, w, c, block(i, "mlp.c_proj.bias"), e));
            x = g.op("Add", x, hidden);
        }
        x = Blocks.layerNorm(g, x, param(g, w, "ln_f.weight", e), bias(g, w, c, "ln_f.bias", e),
                c.layerNormEpsilon());
        String head = g.op("Transpose", wte, attrInts("perm", 1, 0));
        g.opTo("MatMul", new String[] {x, head}, new String[] {LOGITS});
        g.output(LOGITS, GraphBuilder.FLOAT, "batch", "sequence", (long) c.vocabSize());
        for (int i = 0; i < c.nLayer(); i++) {
            g.output(presentKey(i), GraphBuilder.FLOAT, "batch", (long) heads, "total", (long) headSize);
            g.output(presentValue(i), GraphBuilder.FLOAT, "batch", (long) heads, "total", (long) headSize);
        }
        g.opTo("Identity", new String[] {x}, new String[] {HIDDEN});
        g.output(HIDDEN, GraphBuilder.FLOAT, "batch", "sequence", e);
        return g.model("Keel export of a GPT-2 causal LM with key/value cache (Hugging Face GPT2LMHeadModel layout)");
    }

    /** The first {@code kept} ({@code [1]}) columns of a past cache: all of it, or none in the in-place mode. */
    private static String slicePast(GraphBuilder g, String cache, String kept) {
        return g.op("Slice", new String[] {cache, g.longs(0), kept, g.longs(2)});
    }

    private static String block(int i, String rest) {
        return "h." + i + "." + rest;
    }

    private static String param(GraphBuilder g, Map<String, Tensor> w, String name, long... shape) {
        String full = Gpt2Layout.PREFIX + name;
        return g.floats(full, shape, f32(Blocks.weight(w, full, null, shape)));
    }

    private static String bias(GraphBuilder g, Map<String, Tensor> w, Gpt2Config c, String name, long size) {
        return c.bias() ? param(g, w, name, size) : null;
    }
}
