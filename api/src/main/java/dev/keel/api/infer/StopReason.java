package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.Locale;
import org.apiguardian.api.API;

/** Why a generation ended. {@link #label()} is the spelling JSON uses ({@code length}, {@code stop}, {@code eos}). */
@API(status = STABLE, since = "0.1")
public enum StopReason {
    /** {@code maxTokens} new tokens were generated. */
    LENGTH,
    /** The text reached one of the request's stop strings (which the output leaves out). */
    STOP,
    /** The model produced its end-of-text token. */
    EOS;

    /** The lower-case name, as JSON and OpenAI-style {@code finish_reason} values spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }
}
