package dev.keel.spi.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextLinesTest {
    @TempDir
    Path dir;

    private List<TextLines.Line> read(Path file, int maxBytes) {
        List<TextLines.Line> lines = new ArrayList<>();
        try (TextLines t = TextLines.open(file, maxBytes, "input")) {
            TextLines.Line line;
            while ((line = t.next()) != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    @Test
    void lines_keep_their_numbers_and_lose_crlf_and_a_byte_order_mark() throws IOException {
        Path f = Files.write(dir.resolve("a.txt"), ("\uFEFFfirst\r\n\nthird\nlast without newline")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(read(f, 1000)).containsExactly(new TextLines.Line(1, "first", false),
                new TextLines.Line(2, "", false), new TextLines.Line(3, "third", false),
                new TextLines.Line(4, "last without newline", false));
        assertThat(read(Files.writeString(dir.resolve("empty.txt"), ""), 10)).isEmpty();
    }

    @Test
    void a_line_longer_than_the_bound_is_cut_at_a_character_boundary_and_the_rest_skipped() throws IOException {
        String longLine = "é".repeat(100_000); // two bytes each
        Path f = Files.writeString(dir.resolve("a.txt"), "short\n" + longLine + "\nafter\n");
        List<TextLines.Line> lines = read(f, 1001);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1).cut()).isTrue();
        assertThat(lines.get(1).text()).isEqualTo("é".repeat(500));
        assertThat(lines.get(2)).isEqualTo(new TextLines.Line(3, "after", false));
    }

    @Test
    void bytes_that_are_not_utf8_are_named_by_line_and_byte_offset() throws IOException {
        Path f = Files.write(dir.resolve("a.txt"), new byte[] {'o', 'k', '\n', 'a', 'b', (byte) 0xFF, '\n'});
        assertThatThrownBy(() -> read(f, 100)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("line 2 (byte offset 5)").hasMessageContaining("0xff");
        assertThat(TextLines.notUtf8(f).getMessage()).contains("byte offset 5");
        assertThatThrownBy(() -> TextLines.open(dir, 10, "input")).hasMessageContaining("is a folder");
        assertThatThrownBy(() -> TextLines.open(dir.resolve("nope"), 10, "input"))
                .hasMessageContaining("does not exist");
    }
}
