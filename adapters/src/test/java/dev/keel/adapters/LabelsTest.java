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

    @Test
    void label_names_rename_class_ids_and_files_labelled_with_ids_still_read_against_them() throws IOException {
        ClassificationData train = ClassificationData.readTraining(file("t.tsv", "bad\t0\ngood\t1\nawful\t0\n"),
                java.util.List.of("negative", "positive"));
        assertThat(train.classes().names()).containsExactly("negative", "positive");
        assertThat(train.labels()).containsExactly(0, 1, 0);
        ClassificationData dev = ClassificationData.read(file("d.tsv", "fine\t1\nmeh\tnegative\n"), train.classes());
        assertThat(dev.labels()).containsExactly(1, 0);
        Path unknownId = file("u.tsv", "x\t2\n");
        assertThatThrownBy(() -> ClassificationData.read(unknownId, train.classes()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'2'");
    }

    @Test
    void label_names_that_do_not_fit_the_ids_are_refused_with_what_would() throws IOException {
        Path ids = file("ids.tsv", "a\t0\nb\t1\nc\t2\nd\t0\ne\t1\nf\t2\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(ids, java.util.List.of("negative", "positive")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("give 3 names");
        Path named = file("named.tsv", "a\tpos\nb\tneg\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(named, java.util.List.of("negative", "positive")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("names already");
        Path gap = file("gap.tsv", "a\t0\nb\t2\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(gap, java.util.List.of("low", "high")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("[0, 2]");
        Path fine = file("fine.tsv", "a\t0\nb\t1\n");
        assertThatThrownBy(() -> ClassificationData.readTraining(fine, java.util.List.of("0", "1")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("a number");
    }
}
