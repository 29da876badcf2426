package dev.keel.spi.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void a_writer_that_fails_midway_leaves_the_previous_file_intact_and_no_temporary_behind() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Safetensors.write(target, List.of(Tensor.ofFloats("w", new long[] {2}, new float[] {1, 2})), Map.of());
        byte[] before = Files.readAllBytes(target);

        assertThatThrownBy(() -> AtomicFiles.write(target, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full (simulated crash mid-write)");
        })).hasMessageContaining("previous file is untouched");

        assertThat(Files.readAllBytes(target)).isEqualTo(before);
        assertThat(Safetensors.read(target).get("w").toFloats()).containsExactly(1, 2);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
        }
    }

    @Test
    void a_successful_write_replaces_the_file_whole() throws IOException {
        Path target = dir.resolve("sub/config.json");
        AtomicFiles.writeString(target, "old");
        AtomicFiles.writeString(target, "new content");
        assertThat(Files.readString(target)).isEqualTo("new content");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .as("model files are shared, not owner-only like temporary files").isEqualTo("rw-r--r--");
    }

    @Test
    void a_folder_for_an_atomic_rename_gets_a_plain_folders_permissions_not_owner_only() throws IOException {
        Path plain = Files.createDirectory(dir.resolve("plain"));
        Path made = AtomicFiles.newDirectory(dir.resolve("parent"), ".model.import-");
        Path another = AtomicFiles.newDirectory(dir.resolve("parent"), ".model.import-");
        assertThat(made).isDirectory().isEmptyDirectory().isNotEqualTo(another);
        assertThat(made.getFileName().toString()).startsWith(".model.import-");
        assertThat(Files.getPosixFilePermissions(made)).as("what mkdir gives under this umask")
                .isEqualTo(Files.getPosixFilePermissions(plain));
    }
}
