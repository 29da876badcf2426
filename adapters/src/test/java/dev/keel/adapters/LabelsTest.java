package dev.keel.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelsTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void integer_labels_sort_numerically_and_names_alphabetically() throws IOException {
        ClassificationData ints = ClassificationData.readTraining(file("a.tsv", "x\t10\ny\t2\nz\t2\nw\t10\n"));
        assertThat(ints.classes().names()).containsExactly("2", "10");
        assertThat(ints.labels()).containsExactly(1, 0, 0, 1);
        ClassificationData names = ClassificationData.readTraining(file("b.jsonl",
                "{\"text\":\"great\",\"label\":\"positive\"}\n{\"text\":\"bad\",\"label\":\"negative\"}\n"
                        + "{\"text\":\"fine\",\"label\":\"positive\"}\n"));
        assertThat(names.classes().names()).containsExactly("negative", "positive");
    }

    @Test
    void an_empty_file_is_refused_with_a_message_that_says_so() throws IOException {
        Path empty = file("empty.tsv", "");
        assertThatThrownBy(() -> ClassificationData.readTraining(empty))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("holds no examples");
    }

    @Test
    void a_dev_label_the_training_data_never_used_names_the_example() throws IOException {
        Labels labels = ClassificationData.readTraining(file("t.tsv", "a\tpos\nb\tneg\nc\tpos\n")).classes();
        Path devFile = file("d.tsv", "x\tpos\ny\tneutral\n");
        assertThatThrownBy(() -> ClassificationData.read(devFile, labels))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("example 2").hasMessageContaining("'neutral'").hasMessageContaining("[neg, pos]");
    }

    @Test
    void bad_labels_are_refused_with_the_likely_mistake() throws IOException {
        Path one = file("one.tsv", "a\tpos\nb\tpos\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(one))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("at least two labels");
        Path mixed = file("mixed.tsv", "a\t0\nb\t1\nc\tpositive\nd\t0\ne\t1\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(mixed))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("mixes integer labels");
        Path swapped = file("swapped.csv", "label,text\n"
                + "\"a very long sentence that somebody put into the wrong column of the file by mistake, which happens more often than one would think\",0\n"
                + "another,1\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(swapped))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("label column");
        Path unlabelled = file("plain.txt", "just text\nmore text\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(unlabelled))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("has no label");
    }
}
