package dev.keel.tf.internal;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.Gpt2Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Hugging Face's GPT-2 forward pass written as TensorFlow ops, over weights that the caller supplies by
 * their Hugging Face names (placeholders fed with resident tensors when serving, variables when training).
 * Batch and time are dynamic, and every layer takes the keys and values of earlier positions (empty for a
 * plain pass), so one graph serves logits, evaluation and cached generation.
 *
 * <p>Only ops with a C++ gradient are used, because training differentiates this same graph with
 * {@code Graph.addGradients}: the loss is written as log-softmax times a one-hot mask since
 * {@code SparseSoftmaxCrossEntropyWithLogits} has no C++ gradient in TensorFlow 2.18.
 */
final class Gpt2Graph {
    /** Added to masked attention scores; large enough that exp() of it is exactly 0 in float. */
    private static final float MASKED = -1e9f;

    final Operand<TFloat32> logits;
    final Operand<TFloat32> lastLogits;
    /** The final hidden states after {@code ln_f}, {@code [batch, time, n_embd]}: what an embedding pools. */
    final Operand<TFloat32> hidden;
    final List<Operand<TFloat32>> presentKeys = new ArrayList<>();
    final List<Operand<TFloat32>> presentValues = new ArrayList<>();

    private final Ops tf;
    private final Gpt2Config c;
    private final Function<String, Operand<TFloat32>> w;

    /**
     * @param ids        token ids {@code [batch, time]}
     * @param pastKeys   per layer {@code [batch, heads, past, headSize]}, or null for no past
     * @param pastValues per layer, like {@code pastKeys}
     */
    Gpt2Graph(Ops tf, Gpt2Config config, Function<String, Operand<TFloat32>> weights, Operand<TInt32> ids,
            List<? extends Operand<TFloat32>> pastKeys, List<? extends Operand<TFloat32>> pastValues) {
        this(tf, config, weights, ids, pastKeys, pastValues, null);
    }

    /**
     * @param leftPadding {@code [batch]} (or {@code [1]}, broadcast), or null: row {@code r}'s first
     *                    {@code leftPadding[r]} past positions are padding (a continuous batch's rows of
     *                    different lengths), masked out of attention and not counted in its positions
     */
    Gpt2Graph(Ops tf, Gpt2Config config, Function<String, Operand<TFloat32>> weights, Operand<TInt32> ids,
            List<? extends Operand<TFloat32>> pastKeys, List<? extends Operand<TFloat32>> pastValues,
            Operand<TInt32> leftPadding) {
        this.tf = tf;
        this.c = config;
        this.w = weights;
        Operand<TInt32> shape = tf.shape(ids);
        Operand<TInt32> batch = tf.slice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
        Operand<TInt32> time = tf.slice(shape, tf.constant(new int[] {1}), tf.constant(new int[] {1}));
        Operand<TInt32> past = pastKeys == null ? tf.constant(0)
                : tf.reshape(tf.slice(tf.shape(pastKeys.get(0)), tf.constant(new int[] {2}), tf.constant(new int[] {1})),
                        tf.constant(new int[0]));
        Operand<TInt32> timeScalar = tf.reshape(time, tf.constant(new int[0]));
        Operand<TInt32> positions = tf.range(past, tf.math.add(past, timeScalar), tf.constant(1));

        Operand<TInt32> flatIds = tf.reshape(ids, tf.constant(new int[] {-1}));
        Operand<TFloat32> tokenEmb = tf.gather(w.apply(Gpt2Layout.PREFIX + "wte.weight"), flatIds, tf.constant(0));
        Operand<TInt32> padColumn = leftPadding == null ? null : tf.expandDims(leftPadding, tf.constant(1));
        // with padding, [rows, time] positions: each row's start after its padding
        Operand<TFloat32> posEmb = tf.gather(w.apply(Gpt2Layout.PREFIX + "wpe.weight"), padColumn == null ? positions
                : tf.math.sub(tf.expandDims(positions, tf.constant(0)), padColumn), tf.constant(0));
        // [batch*time, E] + [time, E]: broadcast positions over the batch through a [batch, time, E] view.
        Operand<TFloat32> x = tf.reshape(
                tf.math.add(tf.reshape(tokenEmb, concat(batch, time, tf.constant(new int[] {c.nEmbd()}))), posEmb),
                tf.constant(new int[] {-1, c.nEmbd()}));

        Operand<TFloat32> bias = causalBias(past, timeScalar);
        if (padColumn != null) {
            // [rows, 1, 1, past + time]: a large negative on each row's padded keys
            Operand<TInt32> cols = tf.expandDims(tf.range(tf.constant(0), tf.math.add(past, timeScalar), tf.constant(1)),
                    tf.constant(0));
            Operand<TFloat32> padded = tf.dtypes.cast(tf.math.less(cols, padColumn), TFloat32.class);
            bias = tf.math.add(bias, tf.expandDims(tf.expandDims(tf.math.mul(padded, tf.constant(MASKED)),
                    tf.constant(1)), tf.constant(1)));
        }
        for (int i = 0; i < c.nLayer(); i++) {
            Operand<TFloat32> h = layerNorm(x, Gpt2Layout.block(i, "ln_1"));
            x = tf.math.add(x, attention(h, i, batch, time, bias,
                    pastKeys == null ? null : pastKeys.get(i), pastValues == null ? null : pastValues.get(i)));
            h = layerNorm(x, Gpt2Layout.block(i, "ln_2"));
            h = gelu(linear(h, Gpt2Layout.block(i, "mlp.c_fc")));
            x = tf.math.add(x, linear(h, Gpt2Layout.block(i, "mlp.c_proj")));
        }
        x = layerNorm(x, Gpt2Layout.PREFIX + "ln_f");
        Operand<TFloat32> wte = w.apply(Gpt2Layout.PREFIX + "wte.weight");
        Operand<TFloat32> flatLogits = tf.linalg.matMul(x, wte, MatMul.transposeB(true));
        logits = tf.reshape(flatLogits, concat(batch, time, tf.constant(new int[] {c.vocabSize()})));
        // The last position of each row only, so sampling never pays for the full [time, vocab] product.
        Operand<TFloat32> x3 = tf.reshape(x, concat(batch, time, tf.constant(new int[] {c.nEmbd()})));
        hidden = x3;
        Operand<TFloat32> last = tf.reshape(
                tf.slice(x3, tf.concat(List.of(tf.constant(new int[] {0}), tf.math.sub(time, tf.constant(new int[] {1})),
                        tf.constant(new int[] {0})), tf.constant(0)), tf.constant(new int[] {-1, 1, -1})),
                tf.constant(new int[] {-1, c.nEmbd()}));
        lastLogits = tf.linalg.matMul(last, wte, MatMul.transposeB(true));
    }

    /** Per-token negative log-likelihood {@code [batch*time]} of {@code targets} {@code [batch, time]}. */
    Operand<TFloat32> tokenLosses(Operand<TInt32> targets) {
        Operand<TFloat32> flat = tf.reshape(logits, tf.constant(new int[] {-1, c.vocabSize()}));
        Operand<TFloat32> logProbs = tf.nn.logSoftmax(flat);
        Operand<TFloat32> oneHot = tf.oneHot(tf.reshape(targets, tf.constant(new int[] {-1})),
                tf.constant(c.vocabSize()), tf.constant(1f), tf.constant(0f));
        return tf.math.neg(tf.sum(tf.math.mul(logProbs, oneHot), tf.constant(1)));
    }

    private Operand<TInt32> concat(Operand<TInt32> a, Operand<TInt32> b, Operand<TInt32> rest) {
        return tf.concat(List.of(a, b, rest), tf.constant(0));
    }

    /** {@code [time, past+time]}: 0 where query i may see key j (j <= past + i), a large negative elsewhere. */
    private Operand<TFloat32> causalBias(Operand<TInt32> past, Operand<TInt32> time) {
        Operand<TInt32> rows = tf.expandDims(tf.math.add(tf.range(tf.constant(0), time, tf.constant(1)), past),
                tf.constant(1));
        Operand<TInt32> cols = tf.expandDims(tf.range(tf.constant(0), tf.math.add(past, time), tf.constant(1)),
                tf.constant(0));
        Operand<TFloat32> visible = tf.dtypes.cast(tf.math.lessEqual(cols, rows), TFloat32.class);
        return tf.math.mul(tf.math.sub(tf.constant(1f), visible), tf.constant(MASKED));
    }

    private Operand<TFloat32> attention(Operand<TFloat32> h, int layer, Operand<TInt32> batch, Operand<TInt32> time,
            Operand<TFloat32> bias, Operand<TFloat32> pastK, Operand<TFloat32> pastV) {
        int e = c.nEmbd();
        Operand<TFloat32> qkv = linear(h, Gpt2Layout.block(layer, "attn.c_attn"));
        var parts = tf.splitV(qkv, tf.constant(new int[] {e, e, e}), tf.constant(1), 3L).output();
        Operand<TFloat32> q = heads(parts.get(0), batch, time);
        Operand<TFloat32> k = heads(parts.get(1), batch, time);
        Operand<TFloat32> v = heads(parts.get(2), batch, time);
        if (pastK != null) {
            k = tf.concat(List.of(pastK, k), tf.constant(2));
            v = tf.concat(List.of(pastV, v), tf.constant(2));
        }
        presentKeys.add(k);
        presentValues.add(v);
        Operand<TFloat32> scores = tf.math.mul(
                tf.train.batchMatMul(q, k, TFloat32.class, BatchMatMul.adjY(true)),
                tf.constant((float) (1.0 / Math.sqrt(c.headSize()))));
        Operand<TFloat32> probs = tf.nn.softmax(tf.math.add(scores, bias));
        Operand<TFloat32> out = tf.train.batchMatMul(probs, v, TFloat32.class);
        Operand<TFloat32> merged = tf.reshape(tf.linalg.transpose(out, tf.constant(new int[] {0, 2, 1, 3})),
                tf.constant(new int[] {-1, e}));
        return linear(merged, Gpt2Layout.block(layer, "attn.c_proj"));
    }

    /** {@code [batch*time, E]} to {@code [batch, heads, time, headSize]}. */
    private Operand<TFloat32> heads(Operand<TFloat32> x, Operand<TInt32> batch, Operand<TInt32> time) {
        Operand<TFloat32> split = tf.reshape(x, concat(batch, time, tf.constant(new int[] {c.nHead(), c.headSize()})));
        return tf.linalg.transpose(split, tf.constant(new int[] {0, 2, 1, 3}));
    }

    /** Conv1D: weights are stored {@code [in, out]}, so no transpose. */
    private Operand<TFloat32> linear(Operand<TFloat32> x, String name) {
        Operand<TFloat32> y = tf.linalg.matMul(x, w.apply(name + ".weight"));
        return c.bias() ? tf.math.add(y, w.apply(name + ".bias")) : y;
    }

    private Operand<TFloat32> layerNorm(Operand<TFloat32> x, String name) {
        Operand<TInt32> axis = tf.constant(1);
        Operand<TFloat32> mean = tf.math.mean(x, axis, Mean.keepDims(true));
        Operand<TFloat32> centred = tf.math.sub(x, mean);
        Operand<TFloat32> variance = tf.math.mean(tf.math.square(centred), axis, Mean.keepDims(true));
        Operand<TFloat32> y = tf.math.mul(tf.math.mul(centred,
                tf.math.rsqrt(tf.math.add(variance, tf.constant((float) c.layerNormEpsilon())))),
                w.apply(name + ".weight"));
        return c.bias() ? tf.math.add(y, w.apply(name + ".bias")) : y;
    }

    /** GPT-2's tanh approximation ("gelu_new"). */
    private Operand<TFloat32> gelu(Operand<TFloat32> x) {
        Operand<TFloat32> cube = tf.math.mul(tf.math.mul(x, x), x);
        Operand<TFloat32> inner = tf.math.mul(tf.constant((float) Math.sqrt(2 / Math.PI)),
                tf.math.add(x, tf.math.mul(tf.constant(0.044715f), cube)));
        return tf.math.mul(tf.math.mul(tf.constant(0.5f), x), tf.math.add(tf.constant(1f), tf.math.tanh(inner)));
    }
}
