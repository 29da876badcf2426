package dev.keel.samples.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.Prediction;
import dev.keel.api.monitor.MonitorSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's host application stage by stage, as a new host would, with tiny settings (a 2-layer GPT-2 for
 * 20 steps, one epoch of 24 sentences per adaptation method) so the journey stays a test of minutes at most.
 * Later stages use what earlier ones wrote, as a host does.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostJourneyTest {
    private static final List<String> POSITIVE = List.of("a gripping, beautiful film", "warm, funny and wise",
            "the best thing I saw this year", "a joy from start to finish", "brilliant acting and a clever plot",
            "I loved every minute", "moving and beautifully shot", "a delightful surprise");
    private static final List<String> NEGATIVE = List.of("dull and far too long", "a waste of two hours",
            "the plot makes no sense", "wooden acting and a tired script", "I nearly fell asleep",
            "boring, loud and empty", "a mess from beginning to end", "painfully slow and predictable");

    @TempDir
    static Path dir;

    @BeforeAll
    static void keepCachesInTheTestFolder() {
        // where a host would leave the defaults (~/.cache/keel/...): README "Where Keel writes"
        System.setProperty("keel.cache", dir.resolve("cache").toString());
    }

    private static Path labelled(String name, int from, int to) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = from; i < to; i++) {
            lines.add(POSITIVE.get(i % POSITIVE.size()) + "\tpositive");
            lines.add(NEGATIVE.get(i % NEGATIVE.size()) + "\tnegative");
        }
        return Files.write(dir.resolve(name), lines);
    }

    @Test
    @Order(1)
    void the_quick_start_embeds_with_the_builtin_model() {
        EmbedQuickStart.main(new String[0]);
    }

    @Test
    @Order(2)
    void stage_one_pretrains_a_small_gpt2_and_generates_from_it() throws IOException {
        String play = "ROMEO: But soft, what light through yonder window breaks?\n"
                + "JULIET: O Romeo, Romeo, wherefore art thou Romeo?\n";
        Path corpus = Files.writeString(dir.resolve("play.txt"), play.repeat(40));
        String text = PretrainAndGenerate.run(corpus, dir.resolve("gpt2"), 20);
        assertThat(text).hasSizeGreaterThan(20);
        assertThat(dir.resolve("gpt2/model.safetensors")).exists();
    }

    @Test
    @Order(3)
    void stage_two_adapts_with_each_method_and_classifies() throws IOException {
        Path train = labelled("train.tsv", 0, 12);
        Path dev = labelled("dev.tsv", 3, 7);
        for (AdaptationMethod method : AdaptationMethod.values()) {
            ClassificationResult r = AdaptAndClassify.adapt(method, train, dev, dir.resolve(method.name()), 1);
            assertThat(r.predictions()).as("%s", method).hasSize(2)
                    .extracting(Prediction::label).allSatisfy(l -> assertThat(l).isIn("positive", "negative"));
        }
    }

    @Test
    @Order(4)
    void stage_three_counts_the_feedback_in_the_accuracy_monitor_stores_it_and_exports_it() throws IOException {
        List<MonitorSnapshot> snapshots = MonitorAndFeedback.run(dir.resolve("HEAD"), dir.resolve("capture.db"),
                dir.resolve("feedback.tsv"));
        MonitorSnapshot accuracy = snapshots.stream().filter(s -> s.monitor().equals("accuracy")).findFirst()
                .orElseThrow();
        assertThat(accuracy.values()).containsEntry("labelled_total", 1.0);
        assertThat(snapshots).anySatisfy(s -> assertThat(s.monitor()).isEqualTo("capture"));
        assertThat(Files.readAllLines(dir.resolve("feedback.tsv"))).containsExactly("the soup was cold\tnegative");
    }

    @Test
    @Order(5)
    void switching_engines_is_configuration_and_gives_the_same_numbers() {
        assertThat((double) SwitchEngines.firstNumber("djl"))
                .isCloseTo(SwitchEngines.firstNumber("onnx"), within(1e-3));
    }

    @Test
    @Order(6)
    void stage_four_serves_the_registry_champion() {
        assertThat(RegistryChampion.run(dir.resolve("LORA"), dir.resolve("registry")))
                .matches("version 1 says (positive|negative)");
    }
}
