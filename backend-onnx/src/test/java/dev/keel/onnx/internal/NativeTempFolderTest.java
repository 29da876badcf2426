package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeTempFolderTest {
    /** Run in a child JVM: starts ONNX Runtime the way Keel does and prints the folder its natives went to. */
    public static void main(String[] args) {
        Ort.env();
        System.out.println(NativeTempFolder.folder().map(Path::toString).orElse("none"));
    }

    @Test
    void a_jvm_that_used_onnx_runtime_leaves_no_extraction_folder_behind(@TempDir Path tmp) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), NativeTempFolderTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        List<String> lines = out.lines().toList();
        assertThat(lines.get(lines.size() - 1)).as("the child found the folder ONNX Runtime extracted into")
                .startsWith(tmp.resolve("onnxruntime-java").toString());
        assertThat(leftovers(tmp)).as("onnxruntime-java folders in the child's temp folder after it exited").isEmpty();
    }

    private static List<Path> leftovers(Path tmp) throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(f -> f.getFileName().toString().startsWith("onnxruntime-java")).toList();
        }
    }
}
