package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** Receives generated text piece by piece as it is decoded (streaming). */
@API(status = STABLE, since = "0.1")
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (id, text) -> { };

    void onToken(int tokenId, String text);
}
