package dev.keel.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every jar names its JPMS module (Automatic-Module-Name, the module's root package), so a modular host can
 * {@code requires dev.keel.api;} and the name never changes with the file name. Checked on the jars the reactor
 * just packaged; a run from class folders (an IDE) has no manifests to read and is skipped with that reason.
 */
class ModuleNamesTest {
    static java.util.stream.Stream<Map.Entry<String, String>> modules() {
        return Map.of("dev.keel.api.ModelRef", "dev.keel.api", "dev.keel.spi.BackendProvider", "dev.keel.spi",
                "dev.keel.djl.DjlBackendProvider", "dev.keel.djl", "dev.keel.onnx.OnnxBackendProvider", "dev.keel.onnx",
                "dev.keel.tf.TfBackendProvider", "dev.keel.tf", "dev.keel.adapters.AdaptedModels", "dev.keel.adapters",
                "dev.keel.monitors.MonitorHub", "dev.keel.monitors", "dev.keel.registry.JdbcModelRegistry",
                "dev.keel.registry", "dev.keel.runtime.KeelRuntime", "dev.keel.runtime", "dev.keel.cli.KeelCli",
                "dev.keel.cli").entrySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modules")
    void each_jar_declares_its_automatic_module_name(Map.Entry<String, String> module)
            throws ClassNotFoundException, IOException, URISyntaxException {
        Path location = Path.of(Class.forName(module.getKey()).getProtectionDomain().getCodeSource().getLocation().toURI());
        assumeTrue(Files.isRegularFile(location), "classes come from " + location + ", not a packaged jar");
        try (JarFile jar = new JarFile(location.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).as(location.toString())
                    .isEqualTo(module.getValue());
        }
    }
}
