package dev.keel.monitors.export;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records every inference as Micrometer meters named after the OpenTelemetry GenAI semantic conventions
 * where they apply ({@code gen_ai.client.operation.duration}, {@code gen_ai.client.token.usage},
 * {@code gen_ai.server.time_to_first_token}, {@code gen_ai.server.time_per_output_token}) and Keel's own
 * otherwise ({@code keel.inference.stage.duration}, {@code keel.inference.requests}, {@code keel.feedback}).
 * Micrometer's Prometheus registry renders them in base units with {@code _seconds} and {@code _total}.
 * A monitor, so the meters are updated off the serving path.
 */
public final class InferenceMeters implements Monitor {
    public static final String NAME = "meters";
    /** The OpenTelemetry GenAI advisory buckets for operation duration, in seconds. */
    private static final double[] DURATION_BUCKETS = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
        10.24, 20.48, 40.96, 81.92};
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};

    private final MeterRegistry registry;

    public InferenceMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** OpenTelemetry's operation names where one fits, Keel's otherwise. */
    static String operationName(Operation op) {
        return switch (op) {
            case GENERATE -> "text_completion";
            case EMBED -> "embeddings";
            default -> op.label();
        };
    }

    @Override
    public void onInference(InferenceEvent e) {
        Tags tags = Tags.of("gen_ai.operation.name", operationName(e.operation()),
                "gen_ai.provider.name", String.valueOf(e.backend()),
                "gen_ai.request.model", String.valueOf(e.modelVersion()));
        // Prometheus needs one label set per name, so success carries error.type="none" rather than no label
        Tags withError = tags.and("error.type", e.failed() ? errorType(e.error()) : "none");
        Timer.builder("gen_ai.client.operation.duration").description("GenAI operation duration")
                .tags(withError).serviceLevelObjectives(durations(DURATION_BUCKETS)).register(registry)
                .record(e.totalNanos(), TimeUnit.NANOSECONDS);
        Counter.builder("keel.inference.requests").description("Inference calls").tags(withError).register(registry)
                .increment();
        if (e.failed()) {
            return;
        }
        for (String stage : new String[] {"tokenize", "queue", "compute"}) {
            long nanos = switch (stage) {
                case "tokenize" -> e.tokenizeNanos();
                case "queue" -> e.queueNanos();
                default -> e.computeNanos();
            };
            Timer.builder("keel.inference.stage.duration").description("Time per stage of an inference call")
                    .tags(tags.and("stage", stage)).register(registry).record(nanos, TimeUnit.NANOSECONDS);
        }
        if (e.inputTokens() > 0) {
            tokens(tags, "input").record(e.inputTokens());
        }
        if (e.outputTokens() > 0) {
            tokens(tags, "output").record(e.outputTokens());
        }
        if (e.timeToFirstTokenNanos() > 0) {
            Timer.builder("gen_ai.server.time_to_first_token").description("Time to generate the first token")
                    .tags(tags).register(registry).record(e.timeToFirstTokenNanos(), TimeUnit.NANOSECONDS);
            long rest = e.computeNanos() - e.timeToFirstTokenNanos();
            if (e.outputTokens() > 1 && rest > 0) {
                Timer.builder("gen_ai.server.time_per_output_token").description("Time per output token after the first")
                        .tags(tags).register(registry).record(rest / (e.outputTokens() - 1), TimeUnit.NANOSECONDS);
            }
        }
    }

    private DistributionSummary tokens(Tags tags, String type) {
        return DistributionSummary.builder("gen_ai.client.token.usage").description("Tokens used per call")
                .baseUnit("tokens").tags(tags.and("gen_ai.token.type", type)).serviceLevelObjectives(TOKEN_BUCKETS)
                .register(registry);
    }

    @Override
    public void onFeedback(Feedback f) {
        Counter.builder("keel.feedback").description("Feedback reported by the host")
                .tag("kind", f.kind().name().toLowerCase(java.util.Locale.ROOT)).register(registry).increment();
    }

    private static String errorType(String error) {
        int colon = error.indexOf(':');
        String head = (colon > 0 ? error.substring(0, colon) : error).trim();
        return head.length() > 60 || head.contains(" ") ? "_OTHER" : head;
    }

    private static Duration[] durations(double[] seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return out;
    }

    @Override
    public MonitorSnapshot snapshot() {
        return new MonitorSnapshot(NAME, Instant.now(), Map.of("meters", (double) registry.getMeters().size()), Map.of());
    }
}
