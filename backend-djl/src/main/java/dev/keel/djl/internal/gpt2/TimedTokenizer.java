package dev.keel.djl.internal.gpt2;

import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.tokenize.TokenizerKind;

/** Wraps a tokenizer for one call and adds up the time spent in it, for the inference event's split. */
final class TimedTokenizer implements Tokenizer {
    private final Tokenizer delegate;
    private long nanos;

    TimedTokenizer(Tokenizer delegate) {
        this.delegate = delegate;
    }

    long nanos() {
        return nanos;
    }

    @Override
    public TokenizerKind kind() {
        return delegate.kind();
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public int[] encode(String text) {
        long t = System.nanoTime();
        try {
            return delegate.encode(text);
        } finally {
            nanos += System.nanoTime() - t;
        }
    }

    @Override
    public String decode(int[] ids) {
        long t = System.nanoTime();
        try {
            return delegate.decode(ids);
        } finally {
            nanos += System.nanoTime() - t;
        }
    }

    @Override
    public int endOfTextId() {
        return delegate.endOfTextId();
    }

    @Override
    public int padId() {
        return delegate.padId();
    }
}
