package dev.keel.djl.internal.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values every attention layer has computed so far for one sequence, so that each new token
 * costs one step instead of a full pass. Arrays live in the cache's own manager; close the cache to free them.
 * Not thread-safe: one cache per generation.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /**
     * A cache of {@code length} positions holding the given per-layer keys and values (moved into the
     * cache's own manager), for rows a continuous batch assembled.
     */
    static KvCache of(NDManager parent, NDArray[] keys, NDArray[] values, int length) {
        KvCache cache = new KvCache(parent, keys.length);
        for (int i = 0; i < keys.length; i++) {
            keys[i].attach(cache.manager);
            values[i].attach(cache.manager);
            cache.keys[i] = keys[i];
            cache.values[i] = values[i];
        }
        cache.length = length;
        return cache;
    }

    int layers() {
        return keys.length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Tokens held. */
    public int length() {
        return length;
    }

    NDArray appendKeys(int layer, NDArray k) {
        return append(keys, layer, k);
    }

    NDArray appendValues(int layer, NDArray v) {
        return append(values, layer, v);
    }

    private NDArray append(NDArray[] store, int layer, NDArray fresh) {
        NDArray previous = store[layer];
        NDArray all;
        if (previous == null) {
            all = fresh.duplicate();
            all.attach(manager);
        } else {
            all = previous.concat(fresh, 2);
            previous.close();
        }
        store[layer] = all;
        return all;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Forgets everything, keeping the cache usable. */
    public void clear() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
            }
            keys[i] = null;
            values[i] = null;
        }
        length = 0;
    }

    @Override
    public void close() {
        clear();
        manager.close();
    }
}
