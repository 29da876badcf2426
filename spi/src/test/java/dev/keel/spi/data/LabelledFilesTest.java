package dev.keel.spi.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledFilesTest {
    @TempDir
    Path dir;

    @Test
    void tsv_csv_and_jsonl_give_the_same_examples() throws IOException {
        Path tsv = dir.resolve("d.tsv");
        Files.writeString(tsv, "a fine film\t1\nawful , truly\t0\n");
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "label,text\n1,a fine film\n0,\"awful , truly\"\n");
        Path jsonl = dir.resolve("d.jsonl");
        Files.writeString(jsonl, "{\"text\":\"a fine film\",\"label\":1}\n\n{\"text\":\"awful , truly\",\"label\":\"0\"}\n");
        var expected = new LabelledExample[] {new LabelledExample("a fine film", "1"),
                new LabelledExample("awful , truly", "0")};
        assertThat(LabelledFiles.readLabelled(tsv)).containsExactly(expected);
        assertThat(LabelledFiles.readLabelled(csv)).containsExactly(expected);
        assertThat(LabelledFiles.readLabelled(jsonl)).containsExactly(expected);
    }

    @Test
    void csv_quotes_may_hold_commas_quotes_and_newlines() throws IOException {
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "text,label\n\"she said \"\"no\"\",\nthen left\",negative\n");
        assertThat(LabelledFiles.readLabelled(csv))
                .containsExactly(new LabelledExample("she said \"no\",\nthen left", "negative"));
    }

    @Test
    void plain_lines_are_unlabelled_text() throws IOException {
        Path txt = dir.resolve("d.txt");
        Files.writeString(txt, "one\n\ntwo\n");
        assertThat(LabelledFiles.read(txt)).extracting(LabelledExample::text).containsExactly("one", "two");
        assertThatThrownBy(() -> LabelledFiles.readLabelled(txt))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("has no label");
    }

    @Test
    void bad_files_name_the_line_and_the_fix() throws IOException {
        Path empty = dir.resolve("e.tsv");
        Files.writeString(empty, "\n");
        assertThatThrownBy(() -> LabelledFiles.read(empty)).hasMessageContaining("holds no examples");

        Path noText = dir.resolve("n.csv");
        Files.writeString(noText, "sentence,label\nhi,1\n");
        assertThatThrownBy(() -> LabelledFiles.read(noText)).hasMessageContaining("no 'text' column");

        Path ragged = dir.resolve("r.csv");
        Files.writeString(ragged, "text,label\nhi,1,extra\n");
        assertThatThrownBy(() -> LabelledFiles.read(ragged)).hasMessageContaining("line 2 has 3 fields");

        Path badJson = dir.resolve("b.jsonl");
        Files.writeString(badJson, "{\"text\":\"ok\",\"label\":1}\n{oops\n");
        assertThatThrownBy(() -> LabelledFiles.read(badJson)).hasMessageContaining("line 2 is not a JSON object");

        Path emptyLabel = dir.resolve("l.tsv");
        Files.writeString(emptyLabel, "fine\t1\nbad\t \n");
        assertThatThrownBy(() -> LabelledFiles.read(emptyLabel)).hasMessageContaining("line 2 has an empty label");

        assertThatThrownBy(() -> LabelledFiles.read(dir.resolve("missing.tsv"))).hasMessageContaining("does not exist");
    }

    @Test
    void jsonl_weight_fields_are_sample_weights_and_other_files_have_none() throws IOException {
        Path jsonl = Files.writeString(dir.resolve("w.jsonl"), "{\"text\":\"a\",\"label\":1,\"weight\":2.5}\n\n"
                + "{\"text\":\"b\",\"label\":0}\n{\"text\":\"c\",\"label\":0,\"weight\":0}\n");
        assertThat(LabelledFiles.sampleWeights(jsonl)).containsExactly(2.5f, 1f, 0f);
        Path plain = Files.writeString(dir.resolve("p.jsonl"), "{\"text\":\"a\",\"label\":1}\n");
        assertThat(LabelledFiles.sampleWeights(plain)).isNull();
        assertThat(LabelledFiles.sampleWeights(Files.writeString(dir.resolve("t.tsv"), "a\t1\n"))).isNull();
        Path negative = Files.writeString(dir.resolve("n.jsonl"), "{\"text\":\"a\",\"label\":1,\"weight\":-1}\n");
        assertThatThrownBy(() -> LabelledFiles.sampleWeights(negative)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("line 1");
        Path zero = Files.writeString(dir.resolve("z.jsonl"), "{\"text\":\"a\",\"label\":1,\"weight\":0}\n");
        assertThatThrownBy(() -> LabelledFiles.sampleWeights(zero)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("weight 0");
    }

    @Test
    void a_bad_jsonl_line_is_named_with_data_advice_and_bad_utf8_with_its_byte_offset() throws IOException {
        Path jsonl = Files.writeString(dir.resolve("d.jsonl"), "{\"text\":\"ok\",\"label\":1}\n{\"text\": \"unterminated\n");
        assertThatThrownBy(() -> LabelledFiles.read(jsonl)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("line 2 is not a JSON object").hasMessageContaining("{\"text\": \"...\"")
                .hasMessageNotContaining("backup").hasMessageNotContaining("model folder");
        Path latin1 = dir.resolve("d.tsv");
        Files.write(latin1, new byte[] {'g', 'o', 'o', 'd', '\t', '1', '\n', 'c', 'a', 'f', (byte) 0xE9, '\t', '0', '\n'});
        assertThatThrownBy(() -> LabelledFiles.read(latin1)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("line 2 (byte offset 10)").hasMessageContaining("0xe9");
    }
}
