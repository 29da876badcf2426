package dev.keel.spi.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.spi.tokenize.ByteTokenizer;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void a_corpus_is_tokenized_split_ninety_ten_and_cached_on_disk() throws IOException {
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, "abcdefghij".repeat(10));
        TextCorpus corpus = TextCorpus.of(file);
        CharTokenizer tok = CorpusTokenizer.charVocabulary(corpus);
        Path cache = dir.resolve("cache");

        TokenArray all = CorpusTokenizer.tokenize(corpus, tok, cache);
        assertThat(all.size()).isEqualTo(100);
        assertThat(all.split(Split.TRAIN).size()).isEqualTo(90);
        assertThat(all.split(Split.VAL).size()).isEqualTo(10);
        assertThat(all.split(Split.VAL).get(0)).isEqualTo(all.get(90));
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files.filter(p -> p.toString().endsWith(".tokens"))).hasSize(1);
        }
        TokenArray again = CorpusTokenizer.tokenize(corpus, tok, cache);
        assertThat(again.fingerprint()).isEqualTo(all.fingerprint());
        assertThat(again.get(57)).isEqualTo(all.get(57));
    }

    @Test
    void a_changed_corpus_is_tokenized_anew_rather_than_served_stale_from_the_cache() throws IOException {
        Path file = dir.resolve("corpus.txt");
        Path cache = dir.resolve("cache");
        Files.writeString(file, "aaaa");
        TokenArray first = CorpusTokenizer.tokenize(TextCorpus.of(file), new ByteTokenizer(), cache);
        Files.writeString(file, "bbbbbb");
        TokenArray second = CorpusTokenizer.tokenize(TextCorpus.of(file), new ByteTokenizer(), cache);
        assertThat(first.size()).isEqualTo(4);
        assertThat(second.size()).isEqualTo(6);
        assertThat(second.get(0)).isEqualTo('b');
    }

    @Test
    void a_folder_corpus_reads_its_files_in_name_order() throws IOException {
        Files.writeString(dir.resolve("b.txt"), "world\n");
        Files.writeString(dir.resolve("a.txt"), "hello\n");
        Files.writeString(dir.resolve(".hidden"), "ignored");
        StringBuilder seen = new StringBuilder();
        CorpusTokenizer.forEachChunk(TextCorpus.of(dir), seen::append);
        assertThat(seen).hasToString("hello\nworld\n");
    }

    @Test
    void large_files_are_streamed_in_chunks_cut_at_line_ends() throws IOException {
        Path file = dir.resolve("big.txt");
        String line = "x".repeat(99) + "\n";
        Files.writeString(file, line.repeat(20_000));
        int[] chunks = {0};
        long[] chars = {0};
        CorpusTokenizer.forEachChunk(TextCorpus.of(file), c -> {
            chunks[0]++;
            chars[0] += c.length();
            assertThat(c).endsWith("\n");
        });
        assertThat(chunks[0]).isGreaterThan(1);
        assertThat(chars[0]).isEqualTo(2_000_000);
    }

    @Test
    void an_empty_or_missing_or_non_utf8_corpus_is_refused_clearly() throws IOException {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        assertThatThrownBy(() -> CorpusTokenizer.charVocabulary(TextCorpus.of(empty)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is empty");
        assertThatThrownBy(() -> CorpusTokenizer.tokenize(TextCorpus.of(empty), new ByteTokenizer(), dir.resolve("c")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is empty");
        assertThatThrownBy(() -> CorpusTokenizer.tokenize(TextCorpus.of(dir.resolve("nope.txt")), new ByteTokenizer()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("does not exist");
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xe9});
        assertThatThrownBy(() -> CorpusTokenizer.charVocabulary(TextCorpus.of(latin1)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not UTF-8");
    }
}
