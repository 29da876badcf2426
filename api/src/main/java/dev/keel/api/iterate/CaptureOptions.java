package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apiguardian.api.API;

/**
 * How the inference log captures calls. Every setting has a default; {@link Builder#build()} checks them.
 * <pre>
 * CaptureOptions.builder().sampleRate(0.25).maxAge(Duration.ofDays(30)).maxRows(5_000_000)
 *         .redactor(text -&gt; EMAIL.matcher(text).replaceAll("&lt;email&gt;")).build()
 * </pre>
 *
 * @param sampleRate            share of calls captured, in [0, 1] (default 1: every call). The choice is made
 *                              from the inference id, so it is the same in every process
 * @param operations            operations captured ({@code classify}, {@code generate}, {@code embed},
 *                              {@code evaluate}, {@code logits}); empty for every operation (the default)
 * @param maxAge                calls older than this are deleted; null keeps them forever (default)
 * @param maxRows               at most this many calls are kept, the oldest deleted first; 0 for no limit (default)
 * @param keepCallsWithFeedback true (default): the retention rules spare calls that have feedback, since they
 *                              are the training data; false applies the rules to every call (strict privacy)
 * @param queueCapacity         calls waiting to be written before new ones are dropped and counted (default 10,000)
 * @param flushInterval         how often the writer commits what the queue holds (default 100 ms): the most a
 *                              crash can lose besides the queue itself
 * @param retentionInterval     how often the retention rules run (default 1 minute)
 * @param redactor              applied to every input text before it is stored (off the inference thread), or
 *                              null. A redactor that throws loses the call (counted): nothing is stored unredacted
 * @param tagger                tags for a call's slices (e.g. {@code length=short}), computed off the inference
 *                              thread from its event, or null; a tagger that throws leaves the call untagged
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record CaptureOptions(double sampleRate, Set<String> operations, Duration maxAge, long maxRows,
        boolean keepCallsWithFeedback, int queueCapacity, Duration flushInterval, Duration retentionInterval,
        UnaryOperator<String> redactor, Function<InferenceEvent, Map<String, String>> tagger) {


    public CaptureOptions {
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new InvalidInputException("capture sample rate " + sampleRate + " is outside [0, 1]; give e.g. 0.1 "
                    + "to keep one call in ten, 1 to keep every call");
        }
        operations = operations == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(operations));
        for (String op : operations) {
            if (op == null || !Operation.parse(op).label().equals(op)) {
                throw new InvalidInputException("unknown operation '" + op + "' to capture; expected some of "
                        + "generate, embed, classify, evaluate, logits");
            }
        }
        if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
            throw new InvalidInputException("capture max age " + maxAge + " must be positive (e.g. PT720H for 30 "
                    + "days), or null to keep calls forever");
        }
        if (maxRows < 0) {
            throw new InvalidInputException("capture max rows " + maxRows + " is negative; give 0 for no limit");
        }
        if (queueCapacity < 1) {
            throw new InvalidInputException("capture queue capacity " + queueCapacity + " must be at least 1");
        }
        if (flushInterval == null || flushInterval.isNegative() || flushInterval.isZero()
                || flushInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new InvalidInputException("capture flush interval " + flushInterval + " must be between 1 ms and "
                    + "1 minute (default 100 ms)");
        }
        if (retentionInterval == null || retentionInterval.isNegative() || retentionInterval.isZero()) {
            throw new InvalidInputException("capture retention interval " + retentionInterval + " must be positive");
        }
    }

    /** Every call, kept forever, queue of 10,000, committed every 100 ms, no redaction, no tags. */
    public static CaptureOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when {@code operation} (a lower-case label) is captured. */
    public boolean captures(String operation) {
        return operations.isEmpty() || operations.contains(operation);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.sampleRate = sampleRate;
        b.operations.addAll(operations);
        b.maxAge = maxAge;
        b.maxRows = maxRows;
        b.keepCallsWithFeedback = keepCallsWithFeedback;
        b.queueCapacity = queueCapacity;
        b.flushInterval = flushInterval;
        b.retentionInterval = retentionInterval;
        b.redactor = redactor;
        b.tagger = tagger;
        return b;
    }

    /** Collects the settings; {@link #build()} checks them. */
    public static final class Builder {
        private double sampleRate = 1.0;
        private final Set<String> operations = new LinkedHashSet<>();
        private Duration maxAge;
        private long maxRows;
        private boolean keepCallsWithFeedback = true;
        private int queueCapacity = 10_000;
        private Duration flushInterval = Duration.ofMillis(100);
        private Duration retentionInterval = Duration.ofMinutes(1);
        private UnaryOperator<String> redactor;
        private Function<InferenceEvent, Map<String, String>> tagger;

        private Builder() { }

        public Builder sampleRate(double v) { sampleRate = v; return this; }

        /** Captures only these operations (call repeatedly to add); none given captures every operation. */
        public Builder operation(Operation v) {
            if (v == null) {
                throw new InvalidInputException("operation to capture is null; give Operation.CLASSIFY, ...");
            }
            operations.add(v.label());
            return this;
        }

        public Builder maxAge(Duration v) { maxAge = v; return this; }
        public Builder maxRows(long v) { maxRows = v; return this; }
        public Builder keepCallsWithFeedback(boolean v) { keepCallsWithFeedback = v; return this; }
        public Builder queueCapacity(int v) { queueCapacity = v; return this; }
        public Builder flushInterval(Duration v) { flushInterval = v; return this; }
        public Builder retentionInterval(Duration v) { retentionInterval = v; return this; }
        public Builder redactor(UnaryOperator<String> v) { redactor = v; return this; }
        public Builder tagger(Function<InferenceEvent, Map<String, String>> v) { tagger = v; return this; }

        public CaptureOptions build() {
            return new CaptureOptions(sampleRate, operations, maxAge, maxRows, keepCallsWithFeedback, queueCapacity,
                    flushInterval, retentionInterval, redactor, tagger);
        }
    }
}
