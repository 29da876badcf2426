package dev.keel.iterate.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.iterate.eval.BiasProbes;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledDataTest {
    @TempDir
    Path dir;

    @Test
    void the_review_sets_are_balanced_distinct_and_disjoint() {
        List<LabelledRow> fresh = BundledData.rows(BundledData.REVIEWS_NEW, dir);
        List<LabelledRow> held = BundledData.rows(BundledData.REVIEWS_HELDOUT, dir);
        assertThat(fresh).hasSize(1000);
        assertThat(held).hasSize(300);
        assertThat(fresh.stream().filter(r -> r.label().equals("1")).count()).isEqualTo(500);
        assertThat(held.stream().filter(r -> r.label().equals("1")).count()).isEqualTo(150);
        Set<String> keys = new HashSet<>();
        fresh.forEach(r -> keys.add(r.key()));
        assertThat(keys).hasSize(1000);
        assertThat(held).noneMatch(r -> keys.contains(r.key()));
    }

    @Test
    void every_bias_probe_swaps_into_its_counterpart_by_the_augmentation_rule() {
        BiasProbes probes = BiasProbes.sst2Gender();
        assertThat(probes.probes()).hasSizeGreaterThan(250);
        assertThat(probes.groups()).containsExactly("male", "female");
        TermPairs en = TermPairs.englishGender();
        for (BiasProbes.Probe p : probes.probes()) {
            assertThat(CounterfactualAugmentation.swap(p.sentence("male"), en)).as(p.template())
                    .isEqualTo(p.sentence("female"));
        }
        assertThat(probes.labels()).containsExactlyInAnyOrder("0", "1");
    }
}
