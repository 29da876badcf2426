package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.spi.data.LabelledFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledTextTest {
    @TempDir
    Path dir;

    /** Reads the file with Spark in many partitions and checks the rows are what LabelledFiles reads, in order. */
    private LabelledText sameAsLabelledFiles(Path file, int partitions) {
        List<LabelledExample> expected = LabelledFiles.read(file);
        LabelledText got = LabelledText.read(SparkTests.spark(), file, partitions);
        assertThat(got.rows().javaRDD().getNumPartitions()).isGreaterThan(1);
        List<Row> rows = got.rows().collectAsList();
        List<LabelledExample> read = rows.stream().map(r -> new LabelledExample(r.getString(0), r.getString(1))).toList();
        assertThat(read).isEqualTo(expected);
        assertThat(rows.stream().map(r -> r.getLong(2)).toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, expected.size()).boxed().toList());
        assertThat(got.count()).isEqualTo(expected.size());
        return got;
    }

    @Test
    void tsv_jsonl_and_plain_lines_split_into_many_partitions_read_as_labelled_files_reads_them() throws IOException {
        List<String> tsv = new ArrayList<>();
        List<String> jsonl = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            tsv.add(i % 17 == 0 ? "" : "sentence number " + i + "\t" + (i % 3));
            jsonl.add(i % 19 == 0 ? " " : "{\"text\": \"line " + i + "\", \"label\": " + (i % 2) + "}");
        }
        LabelledText t = sameAsLabelledFiles(Files.write(dir.resolve("a file with spaces.tsv"), tsv), 7);
        assertThat(t.firstLabelled()).isEqualTo(1);
        assertThat(t.firstUnlabelled()).isZero();
        sameAsLabelledFiles(Files.write(dir.resolve("a.jsonl"), jsonl), 5);
        LabelledText plain = sameAsLabelledFiles(Files.write(dir.resolve("a.txt"), tsv.stream()
                .map(l -> l.replace('\t', ' ')).toList()), 4);
        assertThat(plain.firstLabelled()).isZero();
        assertThat(plain.firstUnlabelled()).isEqualTo(1);
    }

    @Test
    void csv_records_whose_quoted_fields_run_across_partition_ends_read_whole() throws IOException {
        StringBuilder csv = new StringBuilder("id,text,label\n");
        for (int i = 0; i < 120; i++) {
            if (i % 10 == 3) {
                // a quoted field over many lines, longer than a partition: it runs across several partition ends
                csv.append(i).append(",\"first line ").append(i).append("\n").append("a \"\"quoted\"\" middle\n".repeat(30))
                        .append("last, with a comma\",").append(i % 2).append('\n');
            } else {
                csv.append(i).append(",plain ").append(i).append(',').append(i % 2).append('\n');
            }
            if (i % 25 == 0) {
                csv.append('\n');
            }
        }
        Path file = Files.writeString(dir.resolve("a.csv"), csv);
        sameAsLabelledFiles(file, 40);
    }

    @Test
    void a_bad_line_fails_naming_the_file_and_line_as_labelled_files_does() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(i == 250 ? "{\"label\": 1}" : "{\"text\": \"t" + i + "\", \"label\": 1}");
        }
        Path jsonl = Files.write(dir.resolve("bad.jsonl"), lines);
        assertThatThrownBy(() -> LabelledText.read(SparkTests.spark(), jsonl, 6))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(messageOf(() -> LabelledFiles.read(jsonl)))
                .hasMessageContaining("line 251");
        StringBuilder csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 100; i++) {
            csv.append("t").append(i).append(",1\n");
        }
        Path open = Files.writeString(dir.resolve("open.csv"), csv + "\"never closed,1\n" + csv.substring(11));
        assertThatThrownBy(() -> LabelledText.read(SparkTests.spark(), open, 5))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(messageOf(() -> LabelledFiles.read(open)))
                .hasMessageContaining("line 102 opens a quote");
        Path empty = Files.writeString(dir.resolve("empty.tsv"), "\n \n");
        assertThatThrownBy(() -> LabelledText.read(SparkTests.spark(), empty))
                .hasMessage(messageOf(() -> LabelledFiles.read(empty)));
        assertThatThrownBy(() -> LabelledText.read(SparkTests.spark(), dir.resolve("missing.tsv")))
                .hasMessageContaining("missing.tsv does not exist");
    }

    private static String messageOf(Runnable r) {
        try {
            r.run();
        } catch (InvalidInputException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected the local reader to fail");
    }
}
