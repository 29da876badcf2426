package dev.keel.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The command line in a real child JVM, as a user runs it, so a test can send it signals or kill it. Its
 * working folder is the test's folder (so a crash log would land there), and its output goes to files there.
 */
final class ChildKeel {
    private final Process process;
    private final Path out;
    private final Path err;

    private ChildKeel(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    static ChildKeel start(Path dir, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-Dai.djl.offline=true",
                "-Dkeel.cache=" + dir.resolve("cache"), "-cp", System.getProperty("java.class.path"),
                KeelCli.class.getName()));
        command.addAll(List.of(args));
        String name = "child-" + System.nanoTime();
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        return new ChildKeel(pb.start(), out, err);
    }

    Process process() {
        return process;
    }

    String err() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    String out() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** Waits for {@code condition}, failing with the child's output when it exits or time runs out first. */
    void awaitWhileAlive(BooleanSupplier condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new AssertionError("the child exited (" + process.exitValue() + ") before " + what + ":\n" + err());
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new AssertionError("timed out waiting for " + what + ":\n" + err());
            }
            Thread.sleep(20);
        }
    }

    /** Crash logs ({@code hs_err_pid*.log}) the JVM left in {@code dir}. */
    static List<Path> crashLogs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
        }
    }
}
