package dev.keel.iterate.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The block arithmetic of a language model's round: cuts at line ends, seeded splits, replay shares, leakage. */
class TextBlocksTest {
    private static String paragraph(int lines, String word) {
        return (word + " and more words to fill the line nicely\n").repeat(lines);
    }

    @Test
    void blocks_end_at_a_blank_line_once_long_enough_and_never_inside_a_line() {
        String text = paragraph(3, "one") + "\n" + paragraph(5, "two") + "\n" + paragraph(2, "three");
        List<String> blocks = TextBlocks.cut(text);
        // 3 lines (135 characters) are too short to close a block at the blank line; 3 + 5 lines are not
        assertThat(blocks).hasSize(2);
        assertThat(String.join("", blocks)).isEqualTo(text);
        assertThat(blocks).allSatisfy(b -> assertThat(b).endsWith("\n"));
        assertThat(blocks.get(0)).startsWith("one").contains("two").doesNotContain("three");
    }

    @Test
    void text_without_blank_lines_is_cut_at_four_times_the_minimum() {
        String text = paragraph(100, "line");
        List<String> blocks = TextBlocks.cut(text);
        assertThat(blocks).hasSizeGreaterThan(3);
        assertThat(blocks.subList(0, blocks.size() - 1)).allSatisfy(b ->
                assertThat(b.length()).isBetween(4 * TextBlocks.MIN_CHARS, 4 * TextBlocks.MIN_CHARS + 60));
        assertThat(TextBlocks.cut("\n \n")).isEmpty();
    }

    @Test
    void the_split_is_seeded_holds_out_whole_blocks_and_keeps_repeats_on_one_side() {
        List<String> blocks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            blocks.add("block " + i + "\n");
        }
        blocks.add("block 3\n");
        TextBlocks.Split a = TextBlocks.split(blocks, 0.2, 7);
        assertThat(a.heldout()).hasSize(2);
        assertThat(a.train()).hasSize(8);
        assertThat(a.duplicates()).isEqualTo(1);
        assertThat(TextBlocks.split(blocks, 0.2, 7)).isEqualTo(a);
        assertThat(a.train()).doesNotContainAnyElementsOf(a.heldout());
        assertThat(TextBlocks.split(List.of("only\n"), 0.2, 7).heldout()).isEmpty();
        assertThat(TextBlocks.split(List.of("a\n", "b\n"), 0.01, 7).heldout()).hasSize(1);
    }

    @Test
    void replay_draws_whole_blocks_until_its_share_of_the_characters() {
        List<String> pool = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            pool.add("x".repeat(99) + "\n");
        }
        // 1,000 new characters at fraction 0.2: 250 replayed, so three blocks of 100
        assertThat(TextBlocks.sample(pool, 1000, 0.2, 1)).hasSize(3);
        assertThat(TextBlocks.sample(pool, 1000, 0, 1)).isEmpty();
        assertThatThrownBy(() -> TextBlocks.sample(pool, 1000, 1.0, 1)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void a_training_block_leaks_when_it_is_or_holds_a_long_line_of_evaluation_text() {
        var keys = TextBlocks.evaluationKeys(List.of("First Citizen:\nBefore we proceed any further, hear me speak.\n"));
        assertThat(TextBlocks.leaks("Other text\nBefore  we proceed any further, HEAR me speak.\n", keys)).isTrue();
        assertThat(TextBlocks.leaks("First Citizen:\nSomething else entirely.\n", keys)).isFalse();
    }
}
