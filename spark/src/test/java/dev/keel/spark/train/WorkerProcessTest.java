package dev.keel.spark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker JVM never outlives its parent: killed with SIGKILL (no shutdown hook, no cleanup code runs), the parent
 * leaves the worker's standard input at end-of-file, and the worker halts at once. This is what keeps a crashed or
 * killed Spark executor from leaving training JVMs behind; a task that ends or is killed closes its worker itself
 * ({@code DataParallelFineTuningTest} shows that for a cancelled job).
 */
class WorkerProcessTest {
    @TempDir
    Path dir;

    @Test
    void a_worker_halts_when_its_parent_jvm_is_killed_with_sigkill() throws Exception {
        Path args = Files.writeString(dir.resolve("probe.classpath"), "-cp \"" + WorkerProcess.classPath() + "\"\n");
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "@" + args, Parent.class.getName(), dir.toString())
                .redirectError(dir.resolve("parent.log").toFile()).start();
        long pid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    return null;
                }
            }).get(120, TimeUnit.SECONDS);
            assertThat(line).as("the parent's report; its log: %s", WorkerProcess.tail(dir.resolve("parent.log")))
                    .matches("\\d+");
            pid = Long.parseLong(line);
            ProcessHandle worker = ProcessHandle.of(pid).orElseThrow();
            assertThat(worker.isAlive()).isTrue();

            parent.destroyForcibly(); // SIGKILL
            parent.waitFor(30, TimeUnit.SECONDS);
            worker.onExit().get(30, TimeUnit.SECONDS);
            assertThat(worker.isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // only if the test failed
            }
        }
    }

    /** A parent JVM: starts an idle worker, prints its pid, and waits to be killed. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            WorkerProcess w = WorkerProcess.start(Idle.class.getName(), List.of("-Xmx32m"), Map.of(), List.of(),
                    dir.resolve("worker.log"), () -> false);
            System.out.println(w.pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** A worker that connects and then does nothing, forever unless its parent goes. */
    public static final class Idle {
        public static void main(String[] args) throws Exception {
            WorkerProcess.Child.connect();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
