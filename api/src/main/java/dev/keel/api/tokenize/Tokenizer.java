package dev.keel.api.tokenize;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.List;
import org.apiguardian.api.API;

/**
 * Turns text into token ids and back. Implementations are thread-safe and engine-free.
 * Character and byte tokenizers are Keel's own; Hugging Face {@code tokenizer.json} files are read too.
 */
@API(status = STABLE, since = "0.1")
public interface Tokenizer {
    /** Which kind of tokenizer this is: {@code char}, {@code byte} or {@code hf}. */
    TokenizerKind kind();

    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /**
     * Encodes a text for an encoder model: ids with special tokens, attention mask and token types,
     * cut to {@code maxLength}. Tokenizers without special tokens return the plain encoding.
     */
    default Encoding encodeForModel(String text, int maxLength) {
        int[] ids = encode(text);
        if (ids.length > maxLength) {
            ids = java.util.Arrays.copyOf(ids, maxLength);
        }
        long[] longs = new long[ids.length];
        long[] mask = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
            mask[i] = 1;
        }
        return new Encoding(longs, mask, new long[ids.length]);
    }

    default List<Encoding> encodeBatch(List<String> texts, int maxLength) {
        return texts.stream().map(t -> encodeForModel(t, maxLength)).toList();
    }

    /** The id that marks the end of a text, or -1 if the vocabulary has none. */
    default int endOfTextId() {
        return -1;
    }

    /** The id used to pad batches. */
    default int padId() {
        return 0;
    }
}
