package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.runtime.KeelRuntime;
import dev.keel.registry.JdbcModelRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model served as {@code registry:NAME@ALIAS} follows a promotion under load: requests in flight finish on
 * the old version, new ones go to the new version, and not one request fails during the switch; all the while
 * the requests are decoded together (continuous batching across the two versions).
 */
class AliasSwitchTest {
    private static final String BODY = "{\"model\":\"tiny\",\"prompt\":\"abc\",\"max_tokens\":12,\"temperature\":0}";

    @Test
    void an_alias_switch_under_concurrent_load_fails_no_request(@TempDir Path dir) throws Exception {
        Path v1 = ServerFixtures.gpt2(dir.resolve("v1"), 21, false);
        Path v2 = ServerFixtures.gpt2(dir.resolve("v2"), 22, false);
        try (ModelRegistry registry = JdbcModelRegistry.open(dir.resolve("registry"))) {
            registry.register("tiny", v1);
            registry.register("tiny", v2);
            registry.setAlias("tiny", "prod", 1, "first release");
            KeelRuntime runtime = KeelRuntime.builder().backend("onnx").registry(registry).build();
            String first;
            String second;
            try (InferenceSession s1 = runtime.open(ModelRef.of(v1)); InferenceSession s2 = runtime.open(ModelRef.of(v2))) {
                GenerationRequest greedy = GenerationRequest.builder().prompt("abc").maxTokens(12).greedy().build();
                first = s1.generate(greedy).text();
                second = s2.generate(greedy).text();
            }
            assertThat(first).as("the two versions answer differently, so the switch shows").isNotEqualTo(second);
            try (KeelServer server = KeelServer.builder().runtime(runtime).model("tiny", "registry:tiny@prod")
                    .port(0).start()) {
                assertThat(server.model("tiny").batched()).as("an alias is served with continuous batching").isTrue();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                AtomicInteger onFirst = new AtomicInteger();
                AtomicInteger onSecond = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService clients = Executors.newFixedThreadPool(6);
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < 6; c++) {
                    running.add(clients.submit(() -> {
                        for (int i = 0; i < 2000 && !stop.get(); i++) {
                            HttpResponse<String> r = ServerFixtures.post(server, "/v1/completions", BODY);
                            if (r.statusCode() != 200) {
                                failures.add(r.statusCode() + " " + r.body());
                                continue;
                            }
                            String text = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices")
                                    .get(0).getAsJsonObject().get("text").getAsString();
                            if (text.equals(first)) {
                                onFirst.incrementAndGet();
                            } else if (text.equals(second)) {
                                onSecond.incrementAndGet();
                            } else {
                                failures.add("text of neither version: " + text);
                            }
                        }
                    }));
                }
                try {
                    for (int i = 0; i < 3000 && onFirst.get() < 30; i++) {
                        Thread.sleep(10);
                    }
                    registry.setAlias("tiny", "prod", 2, "promote the challenger");
                    for (int i = 0; i < 3000 && onSecond.get() < 30; i++) {
                        Thread.sleep(10);
                    }
                } finally {
                    stop.set(true);
                    for (Future<?> f : running) {
                        f.get();
                    }
                    clients.shutdownNow();
                }
                assertThat(failures).as("requests that failed during the switch").isEmpty();
                assertThat(onFirst.get()).isGreaterThanOrEqualTo(30);
                assertThat(onSecond.get()).as("requests answered by the promoted version").isGreaterThanOrEqualTo(30);
            }
        }
    }
}
