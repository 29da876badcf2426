package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.keel.api.tokenize.Encoding;
import java.util.List;

/**
 * A padded batch (dynamic padding: to the longest encoding in the batch, not a fixed length). The additive
 * attention mask is {@code 0} for real tokens and a large negative number for padding, built in Java so no
 * Java scalar enters the autograd graph.
 */
final class BertBatch implements AutoCloseable {
    final NDArray ids;
    final NDArray typeIds;
    final NDArray mask;
    final NDArray additiveMask;
    final int batch;
    final int length;
    final long realTokens;

    BertBatch(NDManager m, List<Encoding> encodings, int padId) {
        batch = encodings.size();
        int t = 1;
        for (Encoding e : encodings) {
            t = Math.max(t, e.length());
        }
        length = t;
        long[] id = new long[batch * t];
        long[] type = new long[batch * t];
        float[] mk = new float[batch * t];
        float[] add = new float[batch * t];
        long real = 0;
        for (int b = 0; b < batch; b++) {
            Encoding e = encodings.get(b);
            for (int i = 0; i < t; i++) {
                int k = b * t + i;
                boolean present = i < e.length() && e.mask(i) != 0;
                id[k] = i < e.length() ? e.id(i) : padId;
                type[k] = i < e.length() ? e.typeId(i) : 0;
                mk[k] = present ? 1f : 0f;
                add[k] = present ? 0f : -1e9f;
                real += present ? 1 : 0;
            }
        }
        realTokens = real;
        ids = DjlEngine.ownedLongs(m, id, new Shape(batch, t));
        typeIds = DjlEngine.ownedLongs(m, type, new Shape(batch, t));
        mask = DjlEngine.ownedFloats(m, mk, new Shape(batch, t));
        additiveMask = DjlEngine.ownedFloats(m, add, new Shape(batch, 1, 1, t));
    }

    @Override
    public void close() {
        ids.close();
        typeIds.close();
        mask.close();
        additiveMask.close();
    }
}
