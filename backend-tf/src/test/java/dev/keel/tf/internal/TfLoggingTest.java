package dev.keel.tf.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;

class TfLoggingTest {
    /** Run in a child JVM: one graph run the way Keel's sessions make them, then a line on stderr. */
    public static void main(String[] args) {
        try (Graph g = new Graph(); Session s = new Session(g, TfTensors.config(0))) {
            Ops tf = Ops.create(g);
            try (Result r = s.runner().fetch(tf.math.mul(tf.constant(6), tf.constant(7))).run()) {
                System.err.println("ran " + r.size());
            }
        }
    }

    private static String stderrOfChild(String level) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TfLoggingTest.class.getName()).redirectErrorStream(true);
        pb.environment().put("TF_CPP_MIN_LOG_LEVEL", level);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void tf_cpp_min_log_level_silences_abseils_lines_too_and_stderr_works_after() throws Exception {
        String quiet = stderrOfChild("2");
        assertThat(quiet).as("stderr of a TensorFlow run at TF_CPP_MIN_LOG_LEVEL=2").contains("ran 1")
                .doesNotContain("absl::InitializeLog", "mlir_graph_optimization_pass", "oneDNN");
        String chatty = stderrOfChild("0");
        assertThat(chatty).as("at level 0 TensorFlow's lines are all there, so the check above can fail")
                .contains("ran 1", "mlir_graph_optimization_pass");
    }
}
