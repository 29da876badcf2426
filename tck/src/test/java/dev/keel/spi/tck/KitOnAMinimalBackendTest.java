package dev.keel.spi.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.Device;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Capabilities;
import dev.keel.spi.tck.bow.BowBackendProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The kit run, as a plugin author runs it, against "bow" (a bag-of-words backend written for this test) and
 * against variants of it that get one thing wrong each: which checks pass, which are skipped and why, and the
 * message each failure shows its author. The kit classes below are nested, so Surefire does not run them by
 * themselves; the JUnit Platform test kit runs them here and hands back what was reported.
 */
class KitOnAMinimalBackendTest {

    /** The honest minimal backend. */
    static class BowKit extends BackendCompatibilityKit {
        @Override
        public BackendProvider provider() {
            return new BowBackendProvider();
        }
    }

    /** Opens a gpt2 folder although it declares bert only (a copy-and-paste open that checks nothing). */
    static class LeakyKit extends BackendCompatibilityKit {
        @Override
        public BackendProvider provider() {
            return new BowBackendProvider() {
                @Override
                public InferenceSession open(ModelRef model, SessionOptions options) {
                    Path bert = model.path().orElseThrow().resolveSibling("any-bert");
                    KitModels.writeBert(bert, KitModels.randomBert(KitModels.BERT, 1));
                    return super.open(ModelRef.of(bert), options);
                }
            };
        }
    }

    /** Refuses gpt2, but with an exception hosts cannot tell from a bug. */
    static class WrongExceptionKit extends BackendCompatibilityKit {
        @Override
        public BackendProvider provider() {
            return new BowBackendProvider() {
                @Override
                protected RuntimeException refuseFamily(Path folder, ModelFamily family) {
                    return new IllegalArgumentException("not bert: " + folder);
                }
            };
        }
    }

    /** Declares nothing at all (and so keeps every default refusal of {@link BackendProvider}). */
    static class NoStageKit extends BackendCompatibilityKit {
        @Override
        public BackendProvider provider() {
            return new BackendProvider() {
                @Override
                public String name() {
                    return "idle";
                }

                @Override
                public int priority() {
                    return 0;
                }

                @Override
                public Capabilities capabilities() {
                    return Capabilities.builder().devices(Device.Kind.CPU).build();
                }

                @Override
                public Availability availability() {
                    return Availability.yes();
                }
            };
        }
    }

    /** A subclass nobody listed in META-INF/services, with a name hosts cannot type. */
    static class UnlistedKit extends BackendCompatibilityKit {
        @Override
        public BackendProvider provider() {
            return new BowBackendProvider() {
                @Override
                public String name() {
                    return "Bag Of Words";
                }
            };
        }
    }

    /** What one run reported: each test's display path and its outcome's message. */
    record Report(Map<String, String> passed, Map<String, String> skipped, Map<String, String> failed) {
        static Report of(DiscoverySelector... selectors) {
            Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectors).execute().testEvents();
            Map<String, String> passed = new TreeMap<>();
            Map<String, String> skipped = new TreeMap<>();
            Map<String, String> failed = new TreeMap<>();
            tests.finished().stream().forEach(e -> {
                TestExecutionResult r = e.getPayload(TestExecutionResult.class).orElseThrow();
                String message = r.getThrowable().map(Throwable::getMessage).orElse("");
                switch (r.getStatus()) {
                    case SUCCESSFUL -> passed.put(name(e), message);
                    case ABORTED -> skipped.put(name(e), message.replaceFirst("^Assumption failed: ", ""));
                    case FAILED -> failed.put(name(e), message);
                }
            });
            tests.skipped().stream().forEach(e -> skipped.put(name(e), e.getPayload(String.class).orElse("")));
            return new Report(passed, skipped, failed);
        }

        private static String name(Event e) {
            String id = e.getTestDescriptor().getUniqueId().toString();
            String method = id.replaceAll(".*\\[(method|test-template):([^(\\]]*).*", "$2");
            String invocation = id.contains("test-template-invocation") ? " " + e.getTestDescriptor().getDisplayName() : "";
            return method + invocation;
        }

        Map<String, String> failedMatching(String method) {
            return failed.entrySet().stream().filter(x -> x.getKey().startsWith(method))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        }
    }

    @Test
    void the_minimal_backend_passes_the_session_contract_and_fails_only_the_comparison_with_a_real_bert() {
        Report report = Report.of(selectClass(BowKit.class));

        assertThat(report.failed().keySet()).as("checks bow fails").containsExactly(
                "bert_embeddings_are_the_mean_of_the_reference_last_hidden_states");
        assertThat(report.failed().values().iterator().next())
                .contains("backend 'bow', text 0 ('abc'): a bert embedding is the mean over the text's tokens of "
                        + "BertModel's last hidden states (no [CLS] pooling, no pooler), as sentence-transformers "
                        + "computes it, cut to 32 positions; dimension 0 of the vector it returned, [")
                .contains("to be close to:");

        assertThat(report.passed()).as("the checks a bert-only backend must pass").containsKeys(
                "the_provider_is_registered_with_service_loader_from_its_own_jar",
                "it_declares_at_least_one_stage",
                "every_stage_it_does_not_declare_fails_with_a_clear_error",
                "opening_a_missing_model_folder_names_the_folder",
                "a_bert_embedding_does_not_depend_on_the_batch_it_is_padded_in",
                "normalised_bert_embeddings_are_unit_vectors_along_the_raw_ones",
                "a_family_it_does_not_declare_is_refused_naming_the_backend a gpt2 folder",
                "every_call_a_session_serves_reports_one_event_under_the_id_it_returned classify on a lora folder over bert",
                "every_call_after_close_throws_SessionClosedException generate on a full folder over bert",
                "each_bad_input_is_refused_with_its_exception_and_reported_as_one_failed_event embed with a null "
                        + "text on a bert folder throws InvalidInputException");

        assertThat(report.skipped()).as("gpt2 checks on a backend without gpt2 are skipped with the reason")
                .containsEntry("logits_equal_a_plain_java_gpt2_on_the_same_checkpoint",
                        "backend 'bow' does not declare INFER for gpt2, so this check does not apply "
                                + "(its refusal was checked)")
                .containsEntry("pretraining_repeats_under_a_seed",
                        "backend 'bow' does not declare PRETRAIN for gpt2, so this check does not "
                                + "apply (its refusal was checked)")
                .containsEntry("a_family_it_does_not_declare_is_refused_naming_the_backend a bert folder",
                        "backend 'bow' declares INFER for bert; the session checks exercise it");
        assertThat(report.skipped().keySet()).filteredOn(k -> k.contains("over gpt2") || k.contains("gpt2 folder"))
                .isNotEmpty();
        assertThat(report.skipped()).allSatisfy((check, reason) -> assertThat(reason).as(check)
                .startsWith("backend 'bow' "));
    }

    @Test
    void opening_a_family_it_does_not_declare_is_explained_in_the_failure() {
        Report report = Report.of(selectMethod(LeakyKit.class, "a_later_token_never_changes_earlier_logits",
                Path.class.getName()));
        assertThat(report.failed()).hasSize(1);
        assertThat(report.failed().values().iterator().next())
                .startsWith("[backend 'bow' does not declare INFER for gpt2, so open(")
                .endsWith("/gpt2) must throw UnsupportedCapabilityException naming 'bow'] but it returned normally");
    }

    @Test
    void a_refusal_with_the_wrong_exception_names_both() {
        Report report = Report.of(selectMethod(WrongExceptionKit.class, "streamed_pieces_add_up_to_the_text",
                Path.class.getName()));
        assertThat(report.failed().values()).singleElement().asString()
                .contains("must throw UnsupportedCapabilityException naming 'bow'")
                .contains("to be an instance of:", "UnsupportedCapabilityException", "but was:",
                        "java.lang.IllegalArgumentException: not bert: ");
    }

    @Test
    void a_backend_that_declares_no_stage_is_told_so_and_nothing_passes_silently() {
        Report report = Report.of(selectClass(NoStageKit.class));
        assertThat(report.failed().get("it_declares_at_least_one_stage"))
                .contains("[backend 'idle' declares no stage: capabilities() must declare what it does, e.g. "
                        + "Capabilities.builder().stage(Capability.INFER, ModelFamily.BERT), or Keel never selects it");
        assertThat(report.skipped().get("opening_a_missing_model_folder_names_the_folder"))
                .contains("backend 'idle' does not declare INFER, so there is no folder to open");
        assertThat(report.skipped().keySet()).filteredOn(k -> k.startsWith("every_call_after_close")).isNotEmpty();
        assertThat(report.passed().keySet()).as("what passes for a backend that does nothing: its name, device and "
                + "refusals (this variant is not listed in META-INF/services, so registration fails too)")
                .containsExactlyInAnyOrder(
                "its_name_is_short_lower_case_and_stable",
                "it_is_available_here_and_declares_cpu",
                "every_stage_it_does_not_declare_fails_with_a_clear_error",
                "selecting_it_for_an_undeclared_stage_names_the_backends_that_can",
                "an_architecture_of_another_family_is_refused_with_UnsupportedCapabilityException",
                "a_family_it_does_not_declare_is_refused_naming_the_backend a gpt2 folder",
                "a_family_it_does_not_declare_is_refused_naming_the_backend a bert folder");
    }

    @Test
    void an_unlisted_provider_and_a_name_hosts_cannot_type_are_explained() {
        Report report = Report.of(selectClass(UnlistedKit.class));
        assertThat(report.failed().get("the_provider_is_registered_with_service_loader_from_its_own_jar"))
                .contains("Keel finds backends with ServiceLoader, so the backend's jar must list "
                        + UnlistedKit.class.getName() + "$1 in META-INF/services/dev.keel.spi.BackendProvider");
        assertThat(report.failed().get("its_name_is_short_lower_case_and_stable"))
                .contains("hosts write in -Dkeel.backend=NAME").contains("\"Bag Of Words\"");
        assertThat(report.failedMatching("every_call")).isEmpty();
    }
}
