package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.model.Gpt2Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Tensor names and layouts of Hugging Face's {@code GPT2LMHeadModel}, which every backend reads and writes.
 * Linear weights are {@code Conv1D}: stored as {@code [in, out]} (the transpose of {@code nn.Linear}).
 * <pre>
 *   transformer.wte.weight                 [vocab, n_embd]   (the LM head is tied to it)
 *   transformer.wpe.weight                 [n_positions, n_embd]
 *   transformer.h.{i}.ln_1.weight|bias     [n_embd]
 *   transformer.h.{i}.attn.c_attn.weight   [n_embd, 3 n_embd]   bias [3 n_embd]   (q, k, v concatenated)
 *   transformer.h.{i}.attn.c_proj.weight   [n_embd, n_embd]     bias [n_embd]
 *   transformer.h.{i}.ln_2.weight|bias     [n_embd]
 *   transformer.h.{i}.mlp.c_fc.weight      [n_embd, 4 n_embd]   bias [4 n_embd]
 *   transformer.h.{i}.mlp.c_proj.weight    [4 n_embd, n_embd]   bias [n_embd]
 *   transformer.ln_f.weight|bias           [n_embd]
 * </pre>
 * Checkpoints from the hub sometimes omit the {@code transformer.} prefix and carry the buffers
 * {@code attn.bias} / {@code attn.masked_bias}; {@link #normalize} accepts both forms.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Gpt2Layout {
    public static final String PREFIX = "transformer.";

    private Gpt2Layout() { }

    public static String block(int layer, String rest) {
        return PREFIX + "h." + layer + "." + rest;
    }

    /** Every tensor name a GPT-2 of this config has, in the order Keel writes them, with its shape. */
    public static Map<String, long[]> shapes(Gpt2Config c) {
        long e = c.nEmbd();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(PREFIX + "wte.weight", new long[] {c.vocabSize(), e});
        m.put(PREFIX + "wpe.weight", new long[] {c.nPositions(), e});
        for (int i = 0; i < c.nLayer(); i++) {
            m.put(block(i, "ln_1.weight"), new long[] {e});
            bias(m, c, block(i, "ln_1.bias"), e);
            m.put(block(i, "attn.c_attn.weight"), new long[] {e, 3 * e});
            bias(m, c, block(i, "attn.c_attn.bias"), 3 * e);
            m.put(block(i, "attn.c_proj.weight"), new long[] {e, e});
            bias(m, c, block(i, "attn.c_proj.bias"), e);
            m.put(block(i, "ln_2.weight"), new long[] {e});
            bias(m, c, block(i, "ln_2.bias"), e);
            m.put(block(i, "mlp.c_fc.weight"), new long[] {e, 4 * e});
            bias(m, c, block(i, "mlp.c_fc.bias"), 4 * e);
            m.put(block(i, "mlp.c_proj.weight"), new long[] {4 * e, e});
            bias(m, c, block(i, "mlp.c_proj.bias"), e);
        }
        m.put(PREFIX + "ln_f.weight", new long[] {e});
        bias(m, c, PREFIX + "ln_f.bias", e);
        return m;
    }

    private static void bias(Map<String, long[]> m, Gpt2Config c, String name, long size) {
        if (c.bias()) {
            m.put(name, new long[] {size});
        }
    }

    /**
     * Maps a checkpoint's tensors to Keel's canonical names (with the {@code transformer.} prefix), drops
     * attention-mask buffers and a tied {@code lm_head.weight}, and checks every expected tensor is present
     * with its expected shape.
     */
    public static Map<String, Tensor> normalize(Map<String, Tensor> tensors, Gpt2Config config) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Tensor t : tensors.values()) {
            String n = t.name();
            if (n.endsWith(".attn.bias") || n.endsWith(".attn.masked_bias") || n.equals("lm_head.weight")) {
                continue;
            }
            String canonical = n.startsWith(PREFIX) ? n : PREFIX + n;
            out.put(canonical, new Tensor(canonical, t.dtype(), t.shape(), t.data()));
        }
        List<String> problems = new ArrayList<>();
        shapes(config).forEach((name, shape) -> {
            Tensor t = out.get(name);
            if (t == null) {
                problems.add("missing " + name);
            } else if (!java.util.Arrays.equals(t.shape(), shape)) {
                problems.add(name + " has shape " + java.util.Arrays.toString(t.shape()) + ", expected "
                        + java.util.Arrays.toString(shape));
            }
        });
        if (!problems.isEmpty()) {
            throw new CheckpointException("the weights do not fit the gpt2 config.json: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : "")
                    + "; the checkpoint and config.json must come from the same model");
        }
        return out;
    }
}
