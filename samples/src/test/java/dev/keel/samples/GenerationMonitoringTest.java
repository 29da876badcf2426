package dev.keel.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.builtin.GenerationQualityMonitor;
import dev.keel.monitors.builtin.LatencyMonitor;
import dev.keel.monitors.builtin.PerplexityScorer;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationMonitoringTest {
    @TempDir
    Path dir;

    @Test
    void a_served_gpt2_reports_time_to_first_token_and_its_own_perplexity_without_feeding_back_its_scoring_calls()
            throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "ROMEO: But soft, what light through yonder window breaks?\nJULIET: Ay me!\n");
        CharTokenizer tokenizer = CorpusTokenizer.charVocabulary(TextCorpus.of(corpus));
        Gpt2Config config = Gpt2Config.builder().vocabSize(tokenizer.vocabSize()).blockSize(64).embedding(32).layers(2)
                .heads(2).build();
        Path model = dir.resolve("model");
        ModelFolder.write(model, config, dev.keel.spi.checkpoint.Gpt2Layout.nanoGptInit(config, 1), tokenizer, KeelMetadata.create("test", "random"));

        AtomicReference<InferenceSession> ref = new AtomicReference<>();
        MonitorConfig settings = MonitorConfig.of(Map.of("generation.reference_size", "2",
                "generation.perplexity_sample_rate", "1"));
        try (MonitorHub hub = MonitorHub.builder().monitor(new LatencyMonitor(settings))
                .monitor(new GenerationQualityMonitor(settings,
                        (prompt, output) -> PerplexityScorer.of(ref.get(), 64).perplexity(prompt, output)))
                .alertInterval(Duration.ZERO).build();
                InferenceSession session = KeelRuntime.builder().monitors(hub).build().open(ModelRef.of(model))) {
            ref.set(session);
            for (int i = 0; i < 5; i++) {
                session.generate(GenerationRequest.builder().prompt("ROMEO:").maxTokens(12).seed(i).build());
            }
            assertThat(hub.awaitIdle(Duration.ofSeconds(60))).isTrue();
            Map<String, Double> gen = hub.monitor(GenerationQualityMonitor.class).orElseThrow().snapshot().values();
            Map<String, Double> latency = hub.monitor(LatencyMonitor.class).orElseThrow().snapshot().values();
            assertThat(gen.get("generations_total")).isEqualTo(5.0);
            assertThat(gen.get("output_tokens_mean")).isEqualTo(12.0);
            // random weights: the model is unsure of everything, so its perplexity is near the vocabulary size
            assertThat(gen.get("self_perplexity_mean")).isBetween(2.0, 4.0 * tokenizer.vocabSize());
            assertThat(latency.get("time_to_first_token_p50_seconds")).isPositive();
            assertThat(latency.get("time_per_output_token_p50_seconds")).isPositive();
            assertThat(hub.snapshot().values().get("monitor_own_events_ignored_total")).isEqualTo(5.0);
            assertThat(hub.snapshot().values().get("monitor_errors_total")).isZero();
        }
    }
}
