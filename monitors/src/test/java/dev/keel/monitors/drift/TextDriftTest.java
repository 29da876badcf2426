package dev.keel.monitors.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextDriftTest {

    @Test
    void descriptors_of_a_known_text() {
        TextDescriptors d = TextDescriptors.fit(List.of("the cat sat", "a dog ran"));
        double[] row = d.describe("The cat flew, 42!");
        // words: the cat flew 42; "flew" and "42" are unseen
        assertThat(row[0]).isEqualTo(17);
        assertThat(row[1]).isEqualTo(4);
        assertThat(row[2]).isCloseTo((3 + 3 + 4 + 2) / 4.0, within(1e-12));
        assertThat(row[3]).isCloseTo(0.5, within(1e-12));
        // non-letters among non-space characters: ',', '4', '2', '!' out of 14
        assertThat(row[4]).isCloseTo(4.0 / 14, within(1e-12));
        assertThat(row[5]).isCloseTo(1.0 / 10, within(1e-12));
    }

    @Test
    void reference_out_of_vocabulary_share_is_left_one_out() {
        TextDescriptors d = TextDescriptors.fit(List.of("red apple", "red pear", "green apple"));
        double[][] rows = d.describeReference();
        // "pear" and "green" occur in one reference text only, so they count as unseen for their own text
        assertThat(rows[0][3]).isZero();
        assertThat(rows[1][3]).isCloseTo(0.5, within(1e-12));
        assertThat(rows[2][3]).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void texts_from_the_same_source_do_not_drift_and_shouted_longer_ones_do() {
        Random r = new Random(3);
        String[] vocab = "the a movie film is was good bad great boring plot actor story fun dull long".split(" ");
        List<String> ref = new ArrayList<>();
        List<String> same = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ref.add(sentence(r, vocab, 5 + r.nextInt(10)));
            same.add(sentence(r, vocab, 5 + r.nextInt(10)));
            other.add(sentence(r, vocab, 15 + r.nextInt(10)).toUpperCase() + "!!");
        }
        assertThat(TextDrift.compare(ref, same).drift()).isFalse();
        DriftReport shifted = TextDrift.compare(ref, other);
        assertThat(shifted.drift()).isTrue();
        assertThat(shifted.test("length_chars").drifted()).isTrue();
        assertThat(shifted.test("uppercase_share").drifted()).isTrue();
        assertThat(shifted.test("oov_share").drifted()).isFalse();
    }

    private static String sentence(Random r, String[] vocab, int words) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) {
            b.append(i == 0 ? "" : " ").append(vocab[r.nextInt(vocab.length)]);
        }
        return b.toString();
    }
}
