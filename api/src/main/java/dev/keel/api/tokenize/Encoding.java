package dev.keel.api.tokenize;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * One tokenized text as an encoder model consumes it. Immutable: the arrays are copied when the encoding is
 * made and the accessors return copies; {@link #id}, {@link #mask} and {@link #typeId} read one position
 * without copying, and {@link #copyTo} fills a batch row. Two encodings are equal when their arrays are.
 *
 * @param ids           token ids, special tokens included
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param typeIds       segment ids (all 0 for single sentences)
 */
@API(status = STABLE, since = "0.1")
public record Encoding(long[] ids, long[] attentionMask, long[] typeIds) {
    /**
     * @throws InvalidInputException when an array is null or the three differ in length
     */
    public Encoding {
        if (ids == null || attentionMask == null || typeIds == null) {
            throw new InvalidInputException("an encoding needs ids, attentionMask and typeIds; got a null array");
        }
        if (attentionMask.length != ids.length || typeIds.length != ids.length) {
            throw new InvalidInputException("an encoding's arrays must have one length; got ids " + ids.length
                    + ", attentionMask " + attentionMask.length + ", typeIds " + typeIds.length);
        }
        ids = ids.clone();
        attentionMask = attentionMask.clone();
        typeIds = typeIds.clone();
    }

    /** A copy of the token ids. */
    @Override
    public long[] ids() {
        return ids.clone();
    }

    /** A copy of the attention mask. */
    @Override
    public long[] attentionMask() {
        return attentionMask.clone();
    }

    /** A copy of the segment ids. */
    @Override
    public long[] typeIds() {
        return typeIds.clone();
    }

    public int length() {
        return ids.length;
    }

    /** The token id at {@code position}. */
    public long id(int position) {
        return ids[position];
    }

    /** The attention mask at {@code position}. */
    public long mask(int position) {
        return attentionMask[position];
    }

    /** The segment id at {@code position}. */
    public long typeId(int position) {
        return typeIds[position];
    }

    /** Copies the three arrays into batch buffers at {@code offset} (the rest of the row stays as it is). */
    public void copyTo(long[] idsOut, long[] maskOut, long[] typesOut, int offset) {
        System.arraycopy(ids, 0, idsOut, offset, ids.length);
        System.arraycopy(attentionMask, 0, maskOut, offset, ids.length);
        System.arraycopy(typeIds, 0, typesOut, offset, ids.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding e && Arrays.equals(ids, e.ids) && Arrays.equals(attentionMask, e.attentionMask)
                && Arrays.equals(typeIds, e.typeIds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ids), Arrays.hashCode(attentionMask), Arrays.hashCode(typeIds));
    }

    @Override
    public String toString() {
        return "Encoding[ids=" + Arrays.toString(ids) + ", attentionMask=" + Arrays.toString(attentionMask)
                + ", typeIds=" + Arrays.toString(typeIds) + "]";
    }
}
