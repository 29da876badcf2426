package dev.keel.iterate.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.monitors.builtin.BiasMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RoundDataTest {

    private static List<LabelledRow> rows(int positives, int negatives, String prefix) {
        List<LabelledRow> out = new ArrayList<>();
        for (int i = 0; i < positives; i++) {
            out.add(LabelledRow.of(prefix + " good " + i, "1"));
        }
        for (int i = 0; i < negatives; i++) {
            out.add(LabelledRow.of(prefix + " bad " + i, "0"));
        }
        return out;
    }

    @Test
    void the_split_holds_out_each_labels_share_and_repeats_under_the_same_seed() {
        List<LabelledRow> data = rows(60, 40, "x");
        StratifiedSplit.Result a = StratifiedSplit.split(data, 0.2, 7);
        assertThat(a.heldout()).hasSize(20);
        assertThat(a.heldout().stream().filter(r -> r.label().equals("1")).count()).isEqualTo(12);
        assertThat(a.heldout().stream().filter(r -> r.label().equals("0")).count()).isEqualTo(8);
        assertThat(a.train()).hasSize(80);
        assertThat(StratifiedSplit.split(data, 0.2, 7)).isEqualTo(a);
        assertThat(StratifiedSplit.split(data, 0.2, 8).heldout()).isNotEqualTo(a.heldout());
        assertThat(a.train()).noneMatch(t -> a.heldout().stream().anyMatch(h -> h.key().equals(t.key())));
    }

    @Test
    void a_rare_label_keeps_a_row_on_each_side_and_repeated_texts_are_one_example_with_the_latest_label() {
        List<LabelledRow> data = new ArrayList<>(rows(30, 2, "y"));
        data.add(LabelledRow.of("Y  good 3", "0")); // same text as "y good 3", relabelled later: the latest wins
        data.add(LabelledRow.of("y good 4", "1"));  // plain repeat
        StratifiedSplit.Result s = StratifiedSplit.split(data, 0.1, 1);
        assertThat(s.duplicates()).isEqualTo(2);
        assertThat(s.conflicts()).isEqualTo(1);
        List<LabelledRow> all = new ArrayList<>(s.train());
        all.addAll(s.heldout());
        assertThat(all).hasSize(32);
        assertThat(all.stream().filter(r -> r.key().equals("y good 3")).findFirst().orElseThrow().label()).isEqualTo("0");
        // label 0 now has 3 rows: round(0.3) = 0, raised to 1 so the held-out part has every label
        assertThat(s.heldout().stream().filter(r -> r.label().equals("0")).count()).isEqualTo(1);
    }

    @Test
    void replay_takes_its_share_of_the_training_set_stratified_by_the_pools_labels() {
        assertThat(Replay.count(1000, 0.2)).isEqualTo(250);
        assertThat(Replay.count(1000, 0.0)).isZero();
        assertThat(Replay.count(100, 0.5)).isEqualTo(100);
        assertThatThrownBy(() -> Replay.count(10, 1.0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("--replay-fraction");
        List<LabelledRow> pool = rows(700, 300, "old");
        List<LabelledRow> sample = Replay.sample(pool, 300, 0.25, 3);
        assertThat(sample).hasSize(100).allMatch(r -> r.source().equals(LabelledRow.REPLAY));
        assertThat(sample.stream().filter(r -> r.label().equals("1")).count()).isEqualTo(70);
        assertThat(Replay.sample(pool, 300, 0.25, 3)).isEqualTo(sample);
        assertThat(Replay.sample(rows(3, 2, "tiny"), 300, 0.5, 3)).hasSize(5); // capped by the pool
    }

    @Test
    void data_checks_refuse_empty_single_class_and_unknown_labels_naming_every_problem() {
        StratifiedSplit.Result empty = StratifiedSplit.split(List.of(), 0.2, 1);
        assertThatThrownBy(() -> DataChecks.run(List.of(), empty, List.of(), List.of(), Map.of(), null, true,
                DataChecks.Leakage.DROP)).isInstanceOf(InvalidInputException.class).hasMessageContaining("no rows");

        List<LabelledRow> oneClass = rows(10, 0, "z");
        assertThatThrownBy(() -> DataChecks.run(oneClass, StratifiedSplit.split(oneClass, 0.2, 1), List.of(),
                List.of(), Map.of(), null, true, DataChecks.Leakage.DROP)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("only the label [1]");

        List<LabelledRow> odd = new ArrayList<>(rows(10, 10, "w"));
        odd.add(LabelledRow.of("w neutral", "neutral"));
        odd.add(LabelledRow.of("w neutral 2", "neutral"));
        assertThatThrownBy(() -> DataChecks.run(odd, StratifiedSplit.split(odd, 0.2, 1), List.of(), List.of(),
                Map.of(), List.of("0", "1"), true, DataChecks.Leakage.DROP))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("[neutral]")
                .hasMessageContaining("does not know");
    }

    @Test
    void leaked_evaluation_rows_are_dropped_and_reported_or_refused() {
        List<LabelledRow> data = rows(10, 10, "v");
        StratifiedSplit.Result s = StratifiedSplit.split(data, 0.2, 1);
        List<LabelledRow> replay = List.of(new LabelledRow("The  golden sentence", "1", LabelledRow.REPLAY, 1),
                new LabelledRow("an old sentence", "0", LabelledRow.REPLAY, 1));
        Map<String, List<String>> eval = Map.of("dev", List.of("the golden sentence"));
        DataChecks.Outcome o = DataChecks.run(data, s, replay, List.of(), eval, List.of("0", "1"), true,
                DataChecks.Leakage.DROP);
        assertThat(o.train()).hasSize(s.train().size() + 1);
        assertThat(o.findings()).anySatisfy(f -> {
            assertThat(f.check()).isEqualTo("leakage");
            assertThat(f.count()).isEqualTo(1);
            assertThat(f.message()).contains("dev (replay)");
        });
        assertThatThrownBy(() -> DataChecks.run(data, s, replay, List.of(), eval, List.of("0", "1"), true,
                DataChecks.Leakage.REFUSE)).isInstanceOf(InvalidInputException.class).hasMessageContaining("leak");
    }

    @Test
    void a_champion_label_missing_from_the_new_data_is_reported_not_refused() {
        List<LabelledRow> data = rows(10, 10, "u");
        DataChecks.Outcome o = DataChecks.run(data, StratifiedSplit.split(data, 0.2, 1), List.of(), List.of(),
                Map.of(), List.of("0", "1", "2"), true, DataChecks.Leakage.DROP);
        assertThat(o.findings()).anySatisfy(f -> assertThat(f.message()).contains("[2]"));
    }

    @Test
    void reweighing_gives_kamiran_calders_weights_by_hand() {
        // male: 4 positive, 1 negative; female: 1 positive, 4 negative; two rows of no group
        List<LabelledRow> r = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            r.add(LabelledRow.of("he liked it " + i, "1"));
            r.add(LabelledRow.of("she hated it " + i, "0"));
        }
        r.add(LabelledRow.of("he hated it", "0"));
        r.add(LabelledRow.of("she liked it", "1"));
        r.add(LabelledRow.of("it was fine", "1"));
        r.add(LabelledRow.of("it was poor", "0"));
        Function<String, String> groupOf = BiasMonitor.termGroups(TermPairs.englishGender().groupSpec());
        Reweighing.Result w = Reweighing.apply(r, groupOf);
        // n = 10, n_male = n_female = 5, n_1 = n_0 = 5: w(male,1) = 5*5/(10*4) = 0.625, w(male,0) = 5*5/(10*1) = 2.5
        assertThat(w.weights().get("male").get("1")).isCloseTo(0.625, within(1e-12));
        assertThat(w.weights().get("male").get("0")).isCloseTo(2.5, within(1e-12));
        assertThat(w.weights().get("female").get("0")).isCloseTo(0.625, within(1e-12));
        assertThat(w.weights().get("female").get("1")).isCloseTo(2.5, within(1e-12));
        assertThat(w.counts().get("male")).containsEntry("1", 4).containsEntry("0", 1);
        assertThat(w.rows().get(0).weight()).isEqualTo(0.625);
        assertThat(w.rows().get(8).weight()).isEqualTo(2.5);
        assertThat(w.rows().get(10).weight()).isEqualTo(1.0);
        // weighted, each group's positive share equals the overall 0.5
        double malePos = 4 * 0.625;
        double maleAll = malePos + 2.5;
        assertThat(malePos / maleAll).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void counterfactual_copies_swap_every_term_keeping_case_and_label() {
        TermPairs en = TermPairs.englishGender();
        assertThat(CounterfactualAugmentation.swap("He said his phone died, so I told him.", en))
                .isEqualTo("She said her phone died, so I told her.");
        assertThat(CounterfactualAugmentation.swap("She loved her new blender; I gave her the receipt.", en))
                .isEqualTo("He loved his new blender; I gave him the receipt.");
        assertThat(CounterfactualAugmentation.swap("The waitress was rude to my HUSBAND.", en))
                .isEqualTo("The waiter was rude to my WIFE.");
        assertThat(CounterfactualAugmentation.swap("It is hers, not his.", en)).isEqualTo("It is his, not hers.");
        assertThat(CounterfactualAugmentation.swap("The theme was strange.", en)).isEqualTo("The theme was strange.");
        List<LabelledRow> copies = CounterfactualAugmentation.copies(List.of(LabelledRow.of("my wife loved it", "1"),
                LabelledRow.of("no people here", "0")), en);
        assertThat(copies).containsExactly(new LabelledRow("my husband loved it", "1", CounterfactualAugmentation.SOURCE, 1));
        assertThat(copies.get(0).augmented()).isTrue();
    }

    @Test
    void term_pair_files_are_read_with_their_groups_and_bad_lines_refused() {
        TermPairs p = TermPairs.parse("# religions\ngroups\tchristian\tmuslim\nchurch\tmosque\nbible, quran\n", "t");
        assertThat(p.groupA()).isEqualTo("christian");
        assertThat(p.pairs()).hasSize(2);
        assertThat(p.groupSpec()).isEqualTo("christian:church|bible;muslim:mosque|quran");
        assertThat(CounterfactualAugmentation.swap("The Church was closed", p)).isEqualTo("The Mosque was closed");
        assertThatThrownBy(() -> TermPairs.parse("he she it\n", "f")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("line 1");
        assertThatThrownBy(() -> TermPairs.parse("he\the\n", "f")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> TermPairs.parse("# nothing\n", "f")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> TermPairs.read("/no/such/pairs.tsv")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'default'");
        assertThat(TermPairs.englishGender().pairs().size()).isGreaterThan(50);
    }
}
