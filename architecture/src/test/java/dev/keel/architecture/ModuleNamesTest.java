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
        return java.util.stream.Stream.of(
                Map.entry("dev.keel.api.ModelRef", "dev.keel.api"),
                Map.entry("dev.keel.spi.BackendProvider", "dev.keel.spi"),
                Map.entry("dev.keel.djl.internal.DjlBackendProvider", "dev.keel.djl"),
                Map.entry("dev.keel.onnx.internal.OnnxBackendProvider", "dev.keel.onnx"),
                Map.entry("dev.keel.tf.internal.TfBackendProvider", "dev.keel.tf"),
                Map.entry("dev.keel.adapters.AdaptedModels", "dev.keel.adapters"),
                Map.entry("dev.keel.monitors.MonitorHub", "dev.keel.monitors"),
                Map.entry("dev.keel.registry.JdbcModelRegistry", "dev.keel.registry"),
                Map.entry("dev.keel.runtime.KeelRuntime", "dev.keel.runtime"),
                Map.entry("dev.keel.server.KeelServer", "dev.keel.server"),
                Map.entry("dev.keel.spark.KeelSpark", "dev.keel.spark"),
                Map.entry("dev.keel.spi.tck.BackendCompatibilityKit", "dev.keel.tck"),
                Map.entry("dev.keel.samples.host.RegistryChampion", "dev.keel.samples.host"),
                Map.entry("dev.keel.samples.plugin.LongInputMonitor", "dev.keel.samples.plugin"),
                Map.entry("dev.keel.cli.KeelCli", "dev.keel.cli"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modules")
    void each_jar_declares_its_automatic_module_name(Map.Entry<String, String> module)
            throws ClassNotFoundException, IOException, URISyntaxException {
        Path location = Path.of(Class.forName(module.getKey(), false, ModuleNamesTest.class.getClassLoader()).getProtectionDomain().getCodeSource().getLocation().toURI());
        assumeTrue(Files.isRegularFile(location), "classes come from " + location + ", not a packaged jar");
        try (JarFile jar = new JarFile(location.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).as(location.toString())
                    .isEqualTo(module.getValue());
        }
    }
}
