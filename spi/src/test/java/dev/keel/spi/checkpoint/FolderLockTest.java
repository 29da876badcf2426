package dev.keel.spi.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderLockTest {
    @TempDir
    Path dir;

    @Test
    void a_second_claim_in_this_process_is_refused_until_the_first_is_released() {
        Path out = dir.resolve("model");
        try (FolderLock lock = FolderLock.acquire(out, "pre-training")) {
            assertThat(out.resolve(FolderLock.FILE)).exists();
            assertThatThrownBy(() -> FolderLock.acquire(out, "adaptation"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("is being written by this process (pre-training");
            assertThat(FolderLock.holder(out)).get().asString().contains("this process");
            assertThat(OutputFolders.isAbsentOrEmpty(out)).as("a folder holding only a lock is empty").isTrue();
        }
        assertThat(out.resolve(FolderLock.FILE)).doesNotExist();
        assertThat(FolderLock.holder(out)).isEmpty();
        FolderLock.acquire(out, "again").close();
    }

    @Test
    void a_lock_file_left_by_a_dead_process_is_stale_and_taken_over() throws IOException {
        Path out = Files.createDirectories(dir.resolve("model"));
        Files.writeString(out.resolve(FolderLock.FILE), "{\"pid\": 999999999, \"host\": \"gone\"}\n");
        assertThat(FolderLock.holder(out)).as("nobody holds the operating-system lock").isEmpty();
        try (FolderLock lock = FolderLock.acquire(out, "resume")) {
            assertThat(out.resolve(FolderLock.FILE)).content().contains("\"pid\":" + ProcessHandle.current().pid());
        }
    }

    @Test
    void a_claim_held_by_another_process_is_refused_naming_that_process() throws Exception {
        Path out = dir.resolve("model");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), out.toString())).redirectErrorStream(true).start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(lines.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> FolderLock.acquire(out, "pre-training"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("keel process " + holder.pid() + " on this host (holding");
            assertThat(FolderLock.holder(out)).get().asString().contains(Long.toString(holder.pid()));
            holder.destroyForcibly(); // a kill -9: the operating system drops its lock
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(out.resolve(FolderLock.FILE)).as("the killed holder could not delete it").exists();
        assertThat(FolderLock.holder(out)).isEmpty();
        FolderLock.acquire(out, "after the crash").close();
    }

    /** Holds a claim until killed; prints "locked" once it has it. */
    public static final class LockHolder {
        public static void main(String[] args) throws InterruptedException {
            FolderLock.acquire(Path.of(args[0]), "holding");
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
