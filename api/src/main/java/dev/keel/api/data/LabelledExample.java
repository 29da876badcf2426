package dev.keel.api.data;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * One supervised example. For classification {@code label} is the class name; for prompt/response
 * tuning {@code text} is the prompt and {@code label} the response. {@code label} is null for plain text.
 */
@API(status = STABLE, since = "0.1")
public record LabelledExample(String text, String label) {
    public boolean hasLabel() {
        return label != null;
    }
}
