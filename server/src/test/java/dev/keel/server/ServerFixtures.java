package dev.keel.server;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.ChatTemplate;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tck.KitModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Small models written straight from tensors, and a plain HTTP client, for the server's tests. */
final class ServerFixtures {
    /** A small gpt2 over the kit's ten-letter vocabulary; 24 positions, so long outputs slide the window. */
    static final Gpt2Config GPT2 = new Gpt2Config(11, 24, 32, 2, 2, 0.0, true, 1e-5);

    private ServerFixtures() { }

    /** A gpt2 folder with random weights (seeded), optionally recording a chat template. */
    static Path gpt2(Path dir, long seed, boolean chat) {
        KeelMetadata meta = KeelMetadata.create("test", "import").withVersion("tiny-" + seed);
        if (chat) {
            meta = meta.withTraining(Map.of(ChatTemplate.KEY, ChatTemplate.VERBATIM));
        }
        ModelFolder.write(dir, GPT2, KitModels.randomGpt2(GPT2, seed).values(), KitModels.TOKENIZER, meta);
        return dir;
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static HttpResponse<String> post(KeelServer server, String path, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    static HttpResponse<String> get(KeelServer server, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
