package dev.keel.spi.data;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.data.Split;
import java.nio.IntBuffer;
import org.apiguardian.api.API;

/**
 * A tokenized corpus held as a compact int32 array (memory-mapped from Keel's token cache).
 * Read-only and thread-safe.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class TokenArray {
    private final IntBuffer tokens;
    private final int vocabSize;
    private final String fingerprint;

    public TokenArray(IntBuffer tokens, int vocabSize, String fingerprint) {
        this.tokens = tokens.asReadOnlyBuffer();
        this.vocabSize = vocabSize;
        this.fingerprint = fingerprint;
    }

    public static TokenArray of(int[] tokens, int vocabSize) {
        return new TokenArray(IntBuffer.wrap(tokens.clone()), vocabSize, "memory");
    }

    public int size() {
        return tokens.limit();
    }

    public int get(int i) {
        return tokens.get(i);
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The sha-256 of the corpus text and tokenizer, for lineage in keel.json. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Copies {@code length} tokens starting at {@code from} into {@code dst} at {@code offset}. */
    public void copy(int from, int[] dst, int offset, int length) {
        tokens.duplicate().position(from).get(dst, offset, length);
    }

    /** The first 90% for TRAIN, the last 10% for VAL, everything for ALL. */
    public TokenArray split(Split split) {
        int n = size();
        int cut = (int) Math.floor(n * Split.TRAIN_FRACTION);
        int from = split == Split.VAL ? cut : 0;
        int to = split == Split.TRAIN ? cut : n;
        IntBuffer view = tokens.duplicate().position(from).limit(to).slice();
        return new TokenArray(view, vocabSize, fingerprint + ":" + split.name().toLowerCase(java.util.Locale.ROOT));
    }
}
