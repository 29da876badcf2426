package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from a keystore, and API keys from a file compared in constant time. */
class TlsAndKeysTest {
    @Test
    void a_keystore_makes_the_server_speak_https(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "keel", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "secret-pw", "-keypass", "secret-pw")
                .redirectErrorStream(true).start();
        keytool.getInputStream().readAllBytes();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).isZero();

        Path folder = ServerFixtures.gpt2(dir.resolve("tiny"), 1, false);
        try (KeelServer server = KeelServer.builder().backend("onnx").model("tiny", folder.toString()).port(0)
                .tls(keystore, "secret-pw").start()) {
            assertThat(server.url()).startsWith("https://127.0.0.1:");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                trust.load(in, "secret-pw".toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"id\":\"tiny\"");
        }
    }

    @Test
    void keys_come_from_a_file_one_per_line_and_only_those_keys_pass(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys.txt"), "# team keys\nsk-alpha\n\n  sk-beta  \n");
        ApiKeys keys = ApiKeys.fromFile(file);
        assertThat(keys.required()).isTrue();
        assertThat(keys.accepts("sk-alpha")).isTrue();
        assertThat(keys.accepts("sk-beta")).isTrue();
        assertThat(keys.accepts("sk-alph")).isFalse();
        assertThat(keys.accepts("")).isFalse();
        assertThat(keys.accepts(null)).isFalse();
        assertThat(ApiKeys.none().accepts(null)).isTrue();
        Path empty = Files.writeString(dir.resolve("empty.txt"), "# nothing\n");
        assertThatThrownBy(() -> ApiKeys.fromFile(empty)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("holds no key");
        assertThatThrownBy(() -> ApiKeys.of(List.of(" "))).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void a_server_without_models_with_a_bad_name_or_negative_threads_refuses_to_start() {
        assertThatThrownBy(() -> KeelServer.builder().start()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("--model NAME=REF");
        assertThatThrownBy(() -> KeelServer.builder().model("bad name=builtin:x")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> KeelServer.builder().model("x", "builtin:a").model("x", "builtin:b"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("twice");
        // checked before any model opens (there is no builtin 'a')
        assertThatThrownBy(() -> KeelServer.builder().model("x", "builtin:a").threads(-1).start())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("threads is -1")
                .hasMessageContaining("0 to let the engine decide");
    }
}
