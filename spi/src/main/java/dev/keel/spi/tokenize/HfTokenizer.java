package dev.keel.spi.tokenize;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.keel.api.CheckpointException;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.tokenize.TokenizerKind;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A Hugging Face {@code tokenizer.json} (BPE, WordPiece, ...) run by the Rust tokenizers library through
 * DJL's binding; the native library ships inside the jar. Thread-safe.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class HfTokenizer implements Tokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final String json;
    private final int vocabSize;
    private final int padId;
    private final int eosId;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, String json) {
        this.tokenizer = tokenizer;
        this.json = json;
        Map<String, Object> root = Json.parseObject(json, "tokenizer.json");
        int max = -1;
        if (root.get("model") instanceof Map<?, ?> model && model.get("vocab") instanceof Map<?, ?> vocab) {
            for (Object v : vocab.values()) {
                max = Math.max(max, ((Number) v).intValue());
            }
        }
        int pad = 0;
        int eos = -1;
        if (root.get("added_tokens") instanceof List<?> added) {
            for (Object o : added) {
                if (o instanceof Map<?, ?> t && t.get("id") instanceof Number n) {
                    max = Math.max(max, n.intValue());
                    String content = String.valueOf(t.get("content"));
                    if (content.equals("[PAD]") || content.equals("<pad>")) {
                        pad = n.intValue();
                    }
                    if (content.equals("<|endoftext|>") || content.equals("</s>")) {
                        eos = n.intValue();
                    }
                }
            }
        }
        this.vocabSize = max + 1;
        this.padId = pad;
        this.eosId = eos;
    }

    static {
        // DJL reads this before its first native load; Keel never downloads at run time.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    public static HfTokenizer load(Path tokenizerJson) {
        try {
            return fromJson(Files.readString(tokenizerJson, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CheckpointException("cannot read tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    public static HfTokenizer fromJson(String json) {
        try (var in = new java.io.ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(in,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new HfTokenizer(t, json);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("tokenizer.json could not be loaded (" + e.getMessage()
                    + "); it must be a Hugging Face tokenizers file", e);
        }
    }

    /** The original tokenizer.json text, saved as it is next to the weights. */
    public String json() {
        return json;
    }

    @Override
    public TokenizerKind kind() {
        return TokenizerKind.HF;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, false);
    }

    @Override
    public Encoding encodeForModel(String text, int maxLength) {
        var e = tokenizer.encode(text, true, false);
        long[] ids = e.getIds();
        long[] mask = e.getAttentionMask();
        long[] types = e.getTypeIds();
        if (ids.length > maxLength) {
            // keep the closing special token (for example [SEP]) as the model saw it in training
            long last = ids[ids.length - 1];
            ids = java.util.Arrays.copyOf(ids, maxLength);
            ids[maxLength - 1] = last;
            mask = java.util.Arrays.copyOf(mask, maxLength);
            types = java.util.Arrays.copyOf(types, maxLength);
        }
        return new Encoding(ids, mask, types);
    }

    @Override
    public int endOfTextId() {
        return eosId;
    }

    @Override
    public int padId() {
        return padId;
    }
}
