package dev.keel.api.infer;

/** Receives generated text piece by piece as it is decoded (streaming). */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (id, text) -> { };

    void onToken(int tokenId, String text);
}
