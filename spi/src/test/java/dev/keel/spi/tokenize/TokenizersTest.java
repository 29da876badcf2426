package dev.keel.spi.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.tokenize.TokenizerKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {
    @TempDir
    Path dir;

    @Test
    void the_char_tokenizer_sorts_its_vocabulary_and_round_trips() {
        CharTokenizer tok = CharTokenizer.fromText("hello, world\n");
        assertThat(tok.vocabSize()).as("h e l o , space w r d newline").isEqualTo(10);
        assertThat(tok.encode("\n")).containsExactly(0);
        assertThat(tok.decode(tok.encode("hello world"))).isEqualTo("hello world");
    }

    @Test
    void the_char_tokenizer_handles_characters_beyond_the_basic_plane() {
        CharTokenizer tok = CharTokenizer.fromText("a😀b");
        assertThat(tok.vocabSize()).isEqualTo(3);
        assertThat(tok.decode(tok.encode("😀a"))).isEqualTo("😀a");
    }

    @Test
    void an_unknown_character_is_named_with_the_fix() {
        CharTokenizer tok = CharTokenizer.fromText("abc");
        assertThatThrownBy(() -> tok.encode("abz"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'z' (U+007A)").hasMessageContaining("--tokenizer byte");
    }

    @Test
    void the_byte_tokenizer_round_trips_any_text() {
        ByteTokenizer tok = new ByteTokenizer();
        String text = "naïve café 😀";
        assertThat(tok.encode(text)).hasSize(text.getBytes(StandardCharsets.UTF_8).length);
        assertThat(tok.decode(tok.encode(text))).isEqualTo(text);
        assertThatThrownBy(() -> tok.decode(new int[] {256})).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void char_and_byte_tokenizers_survive_save_and_load() {
        CharTokenizer chars = CharTokenizer.fromText("First Citizen:\nBefore we proceed");
        Tokenizers.save(chars, dir);
        assertThat(Tokenizers.load(dir)).isEqualTo(chars);

        Path other = dir.resolve("bytes");
        Tokenizers.save(new ByteTokenizer(), other);
        assertThat(Tokenizers.load(other)).isInstanceOf(ByteTokenizer.class);
    }

    @Test
    void a_real_hugging_face_tokenizer_encodes_as_bert_does_and_survives_save_and_load() throws IOException {
        String json;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            assertThat(in).as("MiniLM tokenizer on the test class path").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(dir.resolve("tokenizer.json"), json);
        Tokenizer tok = Tokenizers.load(dir);
        assertThat(tok.kind()).isEqualTo(TokenizerKind.HF);
        assertThat(tok.vocabSize()).isEqualTo(30522);
        assertThat(tok.encode("hello world")).containsExactly(7592, 2088);
        Encoding e = tok.encodeForModel("hello world", 16);
        assertThat(e.ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(e.attentionMask()).containsExactly(1, 1, 1, 1);
        assertThat(tok.encodeForModel("one two three four five six", 4).ids()).hasSize(4).endsWith(102L);
        assertThat(tok.decode(tok.encode("hello world"))).isEqualTo("hello world");

        Path copy = dir.resolve("copy");
        Tokenizers.save(tok, copy);
        assertThat(Tokenizers.load(copy).encode("hello world")).containsExactly(7592, 2088);
    }

    @Test
    void a_folder_without_tokenizer_or_with_a_broken_one_says_so() throws IOException {
        assertThatThrownBy(() -> Tokenizers.load(dir))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("neither tokenizer.json nor");
        Files.writeString(dir.resolve("keel-tokenizer.json"), "{\"type\":\"wordpiece\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("expected char or byte");
        Files.writeString(dir.resolve("tokenizer.json"), "{not json");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(CheckpointException.class);
    }
}
