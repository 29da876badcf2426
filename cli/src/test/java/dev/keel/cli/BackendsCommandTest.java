package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendsCommandTest {
    @Test
    void backends_json_lists_every_discovered_backend_with_its_capabilities() {
        CliRunner.Result r = CliRunner.run("backends", "--json");
        assertThat(r.exitCode()).isZero();
        Map<String, Object> json = Json.parseObject(r.lastLine(), "backends output");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> backends = (List<Map<String, Object>>) json.get("backends");
        assertThat(backends).extracting(b -> b.get("name")).contains("djl", "onnx", "tf");
        for (Map<String, Object> b : backends) {
            assertThat(b).containsKeys("name", "capabilities", "families", "devices", "available");
            assertThat(b.get("available")).isEqualTo(true);
            assertThat((List<?>) b.get("capabilities")).isNotEmpty();
        }
    }

    @Test
    void human_output_goes_to_stdout_without_json() {
        CliRunner.Result r = CliRunner.run("backends");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("djl").contains("onnx").contains("tf").doesNotContain("{");
    }

    @Test
    void an_unknown_option_exits_2_with_a_message() {
        CliRunner.Result r = CliRunner.run("backends", "--frobnicate");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option: '--frobnicate'");
    }

    @Test
    void an_unknown_verb_exits_2() {
        CliRunner.Result r = CliRunner.run("train-my-model");
        assertThat(r.exitCode()).isEqualTo(2);
    }

    @Test
    void every_verb_has_help() {
        CliRunner.Result r = CliRunner.run("backends", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--backend").contains("--json").contains("--device");
    }
}
