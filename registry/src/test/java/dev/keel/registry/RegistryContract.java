package dev.keel.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.ModelNotFoundException;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.RegistryEvent;
import dev.keel.api.iterate.Verification;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One behaviour, two stores: every test here runs against SQLite ({@link SqliteRegistryTest}) and a real
 * PostgreSQL server ({@link PostgresRegistryTest}).
 */
abstract class RegistryContract {
    @TempDir
    Path work;

    JdbcModelRegistry registry;

    /** A new, empty registry. */
    abstract JdbcModelRegistry create();

    /** A second handle on the same registry, as another process would open it. */
    abstract JdbcModelRegistry reopen();

    @BeforeEach
    void openRegistry() {
        registry = create();
    }

    @AfterEach
    void closeRegistry() {
        registry.close();
    }

    @Test
    void a_registered_folder_becomes_version_1_with_file_hashes_lineage_metrics_and_a_model_card() {
        Path src = TestModels.pretrained(work.resolve("src"), 7);
        ModelVersion v = registry.register(Registration.of("shakespeare", src).metric("val_loss_full", 1.9)
                .tag("data", "tiny-shakespeare").reason("first run").actor("alice").build());

        assertThat(v.version()).isEqualTo(1);
        assertThat(v.kind()).isEqualTo("pretrained");
        assertThat(v.files()).containsOnlyKeys("config.json", "model.safetensors", "keel.json");
        assertThat(v.sha256()).hasSize(64);
        assertThat(v.location()).isEqualTo(registry.artifactRoot().resolve("shakespeare/1"));
        assertThat(v.lineage().method()).isEqualTo("pretrain");
        assertThat(v.lineage().training()).containsEntry("max_steps", 300L).containsEntry("learning_rate", 0.001);
        assertThat(v.lineage().data()).containsEntry("train", "ab".repeat(32));
        assertThat(v.metrics()).containsEntry("val_loss", 1.57).containsEntry("val_loss_full", 1.9);
        assertThat(v.tags()).containsEntry("data", "tiny-shakespeare");
        assertThat(v.registeredBy()).isEqualTo("alice");
        assertThat(v.reason()).isEqualTo("first run");
        assertThat(v.modelCard()).contains("# shakespeare version 1", "registry:shakespeare/1", "max_steps | 300",
                "val_loss | 1.57", v.sha256());
        assertThat(registry.find("shakespeare", 1)).contains(v);
        assertThat(ModelFolder.readConfig(registry.open("shakespeare", 1)).family().modelType()).isEqualTo("gpt2");
    }

    @Test
    void version_numbers_are_dense_per_name_and_the_registry_lists_every_name() {
        for (int i = 0; i < 3; i++) {
            registry.register("a", TestModels.pretrained(work.resolve("a" + i), i));
        }
        registry.register("b", TestModels.pretrained(work.resolve("b"), 9));

        assertThat(registry.versions("a")).extracting(ModelVersion::version).containsExactly(1, 2, 3);
        assertThat(registry.versions("b")).extracting(ModelVersion::version).containsExactly(1);
        assertThat(registry.names()).containsExactly("a", "b");
        assertThat(registry.latest("a")).map(ModelVersion::version).contains(3);
        assertThat(registry.versions("never")).isEmpty();
    }

    @Test
    void a_version_is_a_copy_so_later_changes_to_the_source_folder_change_nothing() throws IOException {
        Path src = TestModels.pretrained(work.resolve("src"), 1);
        ModelVersion v = registry.register("m", src);
        Files.writeString(src.resolve("config.json"), "{}");

        assertThat(registry.verify("m", 1).ok()).isTrue();
        assertThat(registry.open("m", 1)).isEqualTo(v.location());
    }

    @Test
    void a_tampered_artifact_is_refused_on_open_and_every_difference_is_reported_by_verify() throws IOException {
        ModelVersion v = registry.register("m", TestModels.pretrained(work.resolve("src"), 1));
        Path weights = v.location().resolve("model.safetensors");
        weights.toFile().setWritable(true);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        Files.writeString(v.location().resolve("extra.txt"), "x");

        Verification check = registry.verify("m", 1);
        assertThat(check.ok()).isFalse();
        assertThat(check.mismatches()).hasSize(2).anyMatch(m -> m.startsWith("changed model.safetensors"))
                .contains("unexpected extra.txt");
        assertThatThrownBy(() -> registry.open("m", 1)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("registry:m/1").hasMessageContaining("changed model.safetensors")
                .hasMessageContaining("register the model again");
    }

    @Test
    void an_alias_is_set_moved_resolved_and_deleted_and_its_history_answers_what_served_when() throws Exception {
        for (int i = 0; i < 2; i++) {
            registry.register("m", TestModels.pretrained(work.resolve("s" + i), i));
        }
        AliasChange first = registry.setAlias("m", "champion", 1, "launch", "alice");
        Instant between = first.at();
        TimeUnit.MILLISECONDS.sleep(5);
        AliasChange moved = registry.setAlias("m", "champion", 2, "better accuracy", "bob");

        assertThat(first.previous()).isNull();
        assertThat(moved.previous()).isEqualTo(1);
        assertThat(registry.resolve("m", "champion")).map(ModelVersion::version).contains(2);
        assertThat(registry.resolve(ModelRef.parse("registry:m@champion")).version()).isEqualTo(2);
        assertThat(registry.resolve(ModelRef.parse("registry:m/1")).version()).isEqualTo(1);
        assertThat(registry.aliases("m")).containsEntry("champion", 2);
        assertThat(registry.aliasAt("m", "champion", between)).contains(1);
        assertThat(registry.aliasAt("m", "champion", Instant.now())).contains(2);
        assertThat(registry.aliasAt("m", "champion", between.minusSeconds(60))).isEmpty();

        registry.deleteAlias("m", "champion", "retired", "carol");
        assertThat(registry.resolve("m", "champion")).isEmpty();
        assertThat(registry.aliasHistory("m", "champion")).extracting(AliasChange::action, AliasChange::version,
                AliasChange::actor).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(AliasChange.Action.SET, 1, "alice"),
                        org.assertj.core.groups.Tuple.tuple(AliasChange.Action.SET, 2, "bob"),
                        org.assertj.core.groups.Tuple.tuple(AliasChange.Action.DELETE, null, "carol"));
        assertThat(registry.aliasHistory("m", "champion").get(1).reason()).isEqualTo("better accuracy");
    }

    @Test
    void rollback_moves_an_alias_back_through_its_previous_holders_until_there_is_none() {
        for (int i = 0; i < 3; i++) {
            registry.register("m", TestModels.pretrained(work.resolve("s" + i), i));
            registry.setAlias("m", "champion", i + 1, "promote", null);
        }
        AliasChange back = registry.rollback("m", "champion", "regression", "oncall");
        assertThat(back.version()).isEqualTo(2);
        assertThat(back.previous()).isEqualTo(3);
        assertThat(back.action()).isEqualTo(AliasChange.Action.ROLLBACK);
        assertThat(registry.rollback("m", "champion", "still bad", null).version()).isEqualTo(1);
        assertThat(registry.resolve("m", "champion")).map(ModelVersion::version).contains(1);

        assertThatThrownBy(() -> registry.rollback("m", "champion", "again", null))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no previous holder");
        assertThat(registry.resolve("m", "champion")).map(ModelVersion::version).contains(1);
    }

    @Test
    void a_head_or_lora_version_keeps_its_base_folder_reachable_by_registering_the_base_once() throws IOException {
        Path base = TestModels.pretrained(work.resolve("base"), 3);
        Path head = TestModels.head(work.resolve("head"), base.toString(), 1);
        Path lora = TestModels.lora(work.resolve("lora"), base.toString());

        ModelVersion h = registry.register("sentiment", head);
        ModelVersion l = registry.register("sentiment", lora);

        assertThat(h.kind()).isEqualTo("head");
        assertThat(l.kind()).isEqualTo("lora");
        assertThat(registry.versions("sentiment-base")).hasSize(1); // registered once, found by hash the second time
        ModelVersion b = registry.version("sentiment-base", 1);
        assertThat(b.reason()).contains("base of sentiment");
        assertThat(h.lineage().baseModel()).isEqualTo(base.toString());
        assertThat(h.lineage().baseVersion()).isEqualTo("registry:sentiment-base/1");
        assertThat(h.lineage().baseSha256()).isEqualTo(b.sha256());
        assertThat(AdaptedModels.base(registry.open("sentiment", 1))).isEqualTo(ModelRef.of(b.location()));
        assertThat(AdaptedModels.base(registry.open("sentiment", 2))).isEqualTo(ModelRef.of(b.location()));

        // the original base may now go away: the registered versions still have theirs
        dev.keel.spi.checkpoint.AtomicFiles.deleteTree(base);
        assertThat(registry.open("sentiment", 1)).exists();
    }

    @Test
    void a_version_built_on_a_registered_version_of_the_same_name_records_it_as_parent() {
        ModelVersion base = registry.register("m", TestModels.pretrained(work.resolve("base"), 1));
        ModelVersion head = registry.register("m", TestModels.head(work.resolve("head"), base.location().toString(), 0));
        ModelVersion builtin = registry.register("m", TestModels.head(work.resolve("h2"), "builtin:all-minilm-l6-v2", 0));

        assertThat(head.parent()).isEqualTo(1);
        assertThat(head.lineage().baseVersion()).isEqualTo("registry:m/1");
        assertThat(builtin.parent()).isNull();
        assertThat(builtin.lineage().baseModel()).isEqualTo("builtin:all-minilm-l6-v2");
        assertThat(registry.names()).containsExactly("m");
    }

    @Test
    void registering_with_an_alias_points_it_at_the_new_version_in_the_same_step() {
        ModelVersion v = registry.register(Registration.of("m", TestModels.pretrained(work.resolve("s"), 1))
                .alias("challenger").build());
        assertThat(registry.resolve("m", "challenger")).contains(v);
        assertThat(registry.events(0, 10)).extracting(RegistryEvent::type)
                .containsExactly(RegistryEvent.Type.REGISTERED, RegistryEvent.Type.ALIAS_MOVED);
    }

    @Test
    void a_folder_that_is_not_a_model_is_refused_before_anything_is_stored() throws IOException {
        Path notModel = Files.createDirectories(work.resolve("notes"));
        Files.writeString(notModel.resolve("readme.txt"), "hello");
        Path noWeights = Files.createDirectories(work.resolve("noweights"));
        Files.copy(TestModels.pretrained(work.resolve("p"), 1).resolve("config.json"), noWeights.resolve("config.json"));

        assertThatThrownBy(() -> registry.register("m", notModel)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no config.json").hasMessageContaining("keel adapt");
        assertThatThrownBy(() -> registry.register("m", noWeights)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no model.safetensors");
        assertThatThrownBy(() -> registry.register("m", work.resolve("absent"))).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> registry.register("bad name", notModel)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not valid");
        assertThat(registry.names()).isEmpty();
        assertThat(registry.lastSequence()).isZero();
        try (var s = Files.list(registry.artifactRoot())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsOnly(ArtifactStore.STAGING);
        }
    }

    @Test
    void unknown_names_versions_and_aliases_are_errors_that_say_what_exists() {
        registry.register("m", TestModels.pretrained(work.resolve("s"), 1));
        registry.setAlias("m", "champion", 1, null);

        assertThatThrownBy(() -> registry.version("m", 7)).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("m/7").hasMessageContaining("[1]");
        assertThatThrownBy(() -> registry.setAlias("m", "champion", 7, null)).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("[1]");
        assertThatThrownBy(() -> registry.resolve(ModelRef.parse("registry:m@staging")))
                .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("{champion=1}");
        assertThatThrownBy(() -> registry.deleteAlias("m", "staging", null, null)).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> registry.rollback("m", "staging", null, null)).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> registry.open("other", 1)).isInstanceOf(ModelNotFoundException.class);
        assertThat(registry.resolve("m", "champion")).map(ModelVersion::version).contains(1);
        assertThat(registry.lastSequence()).isEqualTo(2);
    }

    @Test
    void events_are_polled_in_commit_order_and_reach_listeners_of_another_handle_on_the_same_registry()
            throws Exception {
        List<RegistryEvent> heard = new CopyOnWriteArrayList<>();
        try (JdbcModelRegistry other = reopen(); ModelRegistry.Subscription sub = other.subscribe(heard::add)) {
            registry.register("m", TestModels.pretrained(work.resolve("a"), 1));
            registry.register("m", TestModels.pretrained(work.resolve("b"), 2));
            registry.setAlias("m", "champion", 1, "launch", null);
            registry.setAlias("m", "champion", 2, "better", null);
            registry.rollback("m", "champion", "regression", null);

            List<RegistryEvent> polled = registry.events(0, 100);
            assertThat(polled).extracting(RegistryEvent::sequence).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(polled).extracting(RegistryEvent::type).containsExactly(RegistryEvent.Type.REGISTERED,
                    RegistryEvent.Type.REGISTERED, RegistryEvent.Type.ALIAS_MOVED, RegistryEvent.Type.ALIAS_MOVED,
                    RegistryEvent.Type.ROLLED_BACK);
            assertThat(polled.get(4).moves("m", "champion")).isTrue();
            assertThat(registry.events(3, 1)).extracting(RegistryEvent::sequence).containsExactly(4L);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (heard.size() < 5 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            assertThat(heard).isEqualTo(polled);
        }
    }

    @Test
    void the_model_card_and_tags_are_editable_while_the_files_stay_as_registered() {
        ModelVersion v = registry.register("m", TestModels.pretrained(work.resolve("s"), 1));
        ModelVersion carded = registry.updateModelCard("m", 1, "# m\n\nFor demos only.\n", "alice");
        ModelVersion tagged = registry.setTag("m", 1, "reviewed", "yes", "alice");
        ModelVersion untagged = registry.setTag("m", 1, "reviewed", null, "alice");

        assertThat(carded.modelCard()).isEqualTo("# m\n\nFor demos only.\n");
        assertThat(tagged.tags()).containsEntry("reviewed", "yes");
        assertThat(untagged.tags()).doesNotContainKey("reviewed");
        assertThat(untagged.sha256()).isEqualTo(v.sha256());
        assertThat(registry.events(1, 10)).extracting(RegistryEvent::type).containsOnly(RegistryEvent.Type.UPDATED);
    }

    @Test
    void everything_is_still_there_after_the_registry_is_closed_and_opened_again() {
        ModelVersion v = registry.register(Registration.of("m", TestModels.pretrained(work.resolve("s"), 1))
                .alias("champion").build());
        registry.close();
        registry = reopen();
        assertThat(registry.version("m", 1)).isEqualTo(v);
        assertThat(registry.aliases("m")).containsEntry("champion", 1);
        assertThat(registry.lastSequence()).isEqualTo(2);
    }

    @Test
    void leftovers_of_a_crashed_registration_are_removed_on_the_next_open() throws IOException {
        registry.register("m", TestModels.pretrained(work.resolve("s"), 1));
        Path orphan = Files.createDirectories(registry.artifactRoot().resolve("m/2"));
        Files.writeString(orphan.resolve("config.json"), "{}");
        Path staged = Files.createDirectories(registry.artifactRoot().resolve(ArtifactStore.STAGING).resolve("dead"));
        Files.writeString(staged.resolve("model.safetensors"), "partial");

        registry.close();
        registry = reopen();

        assertThat(orphan).doesNotExist();
        assertThat(staged).doesNotExist();
        assertThat(registry.versions("m")).hasSize(1);
        assertThat(registry.register("m", TestModels.pretrained(work.resolve("t"), 2)).version()).isEqualTo(2);
    }
}
