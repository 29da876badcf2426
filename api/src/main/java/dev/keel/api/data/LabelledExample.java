package dev.keel.api.data;

/**
 * One supervised example. For classification {@code label} is the class name; for prompt/response
 * tuning {@code text} is the prompt and {@code label} the response. {@code label} is null for plain text.
 */
public record LabelledExample(String text, String label) {
    public boolean hasLabel() {
        return label != null;
    }
}
