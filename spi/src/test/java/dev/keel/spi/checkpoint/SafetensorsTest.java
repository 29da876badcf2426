package dev.keel.spi.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void tensors_and_metadata_survive_a_round_trip() {
        Tensor a = Tensor.ofFloats("a.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
        Tensor b = Tensor.ofLongs("b.ids", new long[] {4}, new long[] {1, 2, 3, Long.MAX_VALUE});
        Tensor scalar = Tensor.ofFloats("s", new long[] {}, new float[] {42});
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(a, b, scalar), Map.of("format", "pt"));

        Safetensors.Contents read = Safetensors.read(file);
        assertThat(read.tensors().keySet()).containsExactly("a.weight", "b.ids", "s");
        assertThat(read.get("a.weight").toFloats()).containsExactly(1, 2, 3, 4, 5, -6.5f);
        assertThat(read.get("a.weight").shape()).containsExactly(2, 3);
        assertThat(read.get("b.ids").toLongs()).containsExactly(1, 2, 3, Long.MAX_VALUE);
        assertThat(read.get("s").toFloats()).containsExactly(42);
        assertThat(read.metadata()).containsEntry("format", "pt");
    }

    @Test
    void the_header_is_padded_to_eight_bytes_as_the_format_recommends() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(Tensor.ofFloats("x", new long[] {1}, new float[] {1})), Map.of());
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = b.getLong();
        assertThat(headerLength % 8).isZero();
        assertThat(Files.size(file)).isEqualTo(8 + headerLength + 4);
    }

    @Test
    void a_file_written_by_another_implementation_is_read() throws IOException {
        // Written byte by byte as the Python safetensors library lays it out: F16 and BF16 included.
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        buf.putShort((short) 0x3c00).putShort((short) 0xc000); // 1.0, -2.0 in binary16
        buf.putShort((short) 0x3fc0); // 1.5 in bfloat16
        Path file = dir.resolve("external.safetensors");
        Files.write(file, buf.array());

        Safetensors.Contents read = Safetensors.read(file);
        assertThat(read.get("h").toFloats()).containsExactly(1.0f, -2.0f);
        assertThat(read.get("b").toFloats()).containsExactly(1.5f);
    }

    @Test
    void a_truncated_file_is_reported_as_corrupt() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(Tensor.ofFloats("w", new long[] {64}, new float[64])), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> Safetensors.read(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("not a valid safetensors file")
                .hasMessageContaining("truncated");
    }

    @Test
    void garbage_is_reported_as_corrupt_not_as_an_engine_crash() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Files.write(file, "this is not a checkpoint at all".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Safetensors.read(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("header length");
        Files.write(file, new byte[3]);
        assertThatThrownBy(() -> Safetensors.read(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("shorter than the 8-byte header length");
    }

    @Test
    void a_header_whose_sizes_disagree_with_shapes_is_refused() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, buf.array());
        assertThatThrownBy(() -> Safetensors.read(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("spans 8 bytes but its shape needs 12");
    }

    @Test
    void a_missing_file_names_the_path() {
        Path file = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> Safetensors.read(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void asking_for_an_absent_tensor_lists_what_is_there() {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(Tensor.ofFloats("only", new long[] {1}, new float[] {1})), Map.of());
        assertThatThrownBy(() -> Safetensors.read(file).get("other"))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no tensor 'other'")
                .hasMessageContaining("[only]");
    }

    @Test
    void half_precision_conversion_covers_subnormals_and_infinities() {
        assertThat(Tensor.halfToFloat((short) 0x0001)).isEqualTo(5.9604645E-8f);
        assertThat(Tensor.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Tensor.halfToFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(Tensor.halfToFloat((short) 0x7bff)).isEqualTo(65504f);
    }
}
