package dev.keel.api.tokenize;

/**
 * One tokenized text as an encoder model consumes it.
 *
 * @param ids           token ids, special tokens included
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param typeIds       segment ids (all 0 for single sentences)
 */
public record Encoding(long[] ids, long[] attentionMask, long[] typeIds) {
    public int length() {
        return ids.length;
    }
}
