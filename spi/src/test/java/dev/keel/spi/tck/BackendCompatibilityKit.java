package dev.keel.spi.tck;

import static dev.keel.api.infer.Operation.CLASSIFY;
import static dev.keel.api.infer.Operation.EMBED;
import static dev.keel.api.infer.Operation.EVALUATE;
import static dev.keel.api.infer.Operation.GENERATE;
import static dev.keel.api.infer.Operation.LOGITS;
import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.Capability;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.SessionClosedException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.Prediction;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.spi.BackendProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compatibility kit every backend passes. A backend's test extends this class and returns its
 * provider; each check either exercises a declared capability or asserts the documented error for an
 * undeclared one. Checks that do not apply to a backend (a family it does not serve) are reported as
 * skipped with the reason, never as silent passes.
 *
 * <pre>
 * class DjlCompatibilityTest extends BackendCompatibilityKit {
 *     public BackendProvider provider() { return new DjlBackendProvider(); }
 * }
 * </pre>
 *
 * <p>The session contract (one event per call, the exception for each bad input, calls after close) is
 * checked for every family Keel defines and for every adapted-folder kind over them, each case on its own
 * ({@link Nested} classes of {@link ParameterizedTest}s), so one failure does not hide the others. The
 * adapted kinds need keel-adapters' test-jar on the test class path ({@link AdaptedFolders}).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public abstract class BackendCompatibilityKit implements CoreChecks, PretrainChecks, GenerationChecks, StepDecodingChecks,
        Gpt2EmbeddingChecks {

    /** What the session checks open: each family Keel defines, and each adapted-folder kind over them. */
    public enum Subject {
        GPT2(ModelFamily.GPT2, false, EnumSet.of(GENERATE, EMBED, EVALUATE, LOGITS)),
        BERT(ModelFamily.BERT, false, EnumSet.of(EMBED)),
        GPT2_HEAD(ModelFamily.GPT2, true, EnumSet.of(CLASSIFY, EMBED)),
        BERT_HEAD(ModelFamily.BERT, true, EnumSet.of(CLASSIFY, EMBED)),
        BERT_LORA(ModelFamily.BERT, true, EnumSet.of(CLASSIFY, EMBED)),
        BERT_FULL(ModelFamily.BERT, true, EnumSet.of(CLASSIFY, EMBED)),
        GPT2_LORA(ModelFamily.GPT2, true, EnumSet.of(GENERATE, EMBED, EVALUATE, LOGITS));

        final ModelFamily family;
        final boolean adapted;
        final Set<Operation> serves;

        Subject(ModelFamily family, boolean adapted, Set<Operation> serves) {
            this.family = family;
            this.adapted = adapted;
            this.serves = serves;
        }

        @Override
        public String toString() {
            String[] parts = name().toLowerCase(Locale.ROOT).split("_");
            return parts.length == 1 ? "a " + parts[0] + " folder" : "a " + parts[1] + " folder over " + parts[0];
        }
    }

    /** One bad call: what it gets wrong, on which subject, and the exception the API documents for it. */
    public record BadCall(Subject subject, Operation operation, String what, Consumer<InferenceSession> call,
            Class<? extends KeelException> expected) {
        @Override
        public String toString() {
            return operation.label() + " with " + what + " on " + subject + " throws " + expected.getSimpleName();
        }
    }

    static Stream<Arguments> servedCalls() {
        return Arrays.stream(Subject.values()).flatMap(s -> s.serves.stream().map(op -> Arguments.of(s, op)));
    }

    static Stream<Arguments> everyCall() {
        return Arrays.stream(Subject.values())
                .flatMap(s -> Arrays.stream(Operation.values()).map(op -> Arguments.of(s, op)));
    }

    static Stream<BadCall> badCalls() {
        List<BadCall> out = new ArrayList<>();
        for (Subject s : Subject.values()) {
            boolean classifier = s.serves.contains(CLASSIFY);
            if (s.serves.contains(GENERATE)) {
                out.add(new BadCall(s, GENERATE, "a null request", x -> x.generate(null), InvalidInputException.class));
                out.add(new BadCall(s, LOGITS, "null tokens", x -> x.logits(null), InvalidInputException.class));
                out.add(new BadCall(s, LOGITS, "no tokens", x -> x.logits(new int[0]), InvalidInputException.class));
                out.add(new BadCall(s, LOGITS, "a token outside the vocabulary",
                        x -> x.logits(new int[] {KitModels.GPT2.vocabSize()}), InvalidInputException.class));
                out.add(new BadCall(s, LOGITS, "more tokens than the context",
                        x -> x.logits(new int[KitModels.GPT2.nPositions() + 1]), InvalidInputException.class));
                out.add(new BadCall(s, EVALUATE, "a null corpus", x -> x.evaluate(null, Split.VAL),
                        InvalidInputException.class));
                out.add(new BadCall(s, EMBED, "an empty text (no token to pool)", x -> x.embed(List.of("abc", "")),
                        InvalidInputException.class));
            } else {
                out.add(new BadCall(s, GENERATE, "a model that is not a causal LM",
                        x -> x.generate(GenerationRequest.of("abc", 2)), UnsupportedCapabilityException.class));
                out.add(new BadCall(s, LOGITS, "a model that is not a causal LM", x -> x.logits(new int[] {1}),
                        UnsupportedCapabilityException.class));
            }
            if (classifier) {
                out.add(new BadCall(s, CLASSIFY, "a null list", x -> x.classify(null), InvalidInputException.class));
                out.add(new BadCall(s, CLASSIFY, "a null text", x -> x.classify(Arrays.asList("abc", null)),
                        InvalidInputException.class));
            } else {
                out.add(new BadCall(s, CLASSIFY, "a model that is not a classifier", x -> x.classify(List.of("abc")),
                        UnsupportedCapabilityException.class));
            }
            out.add(new BadCall(s, EMBED, "a null list", x -> x.embed(null), InvalidInputException.class));
            out.add(new BadCall(s, EMBED, "a null text", x -> x.embed(Arrays.asList("abc", null)),
                    InvalidInputException.class));
        }
        return out.stream();
    }

    /**
     * Opens {@code subject} with {@code options}: the family's folder on the provider, or the adapted folder
     * over it as hosts open it. Skips the check, saying why, when the backend does not serve the family
     * (that refusal is a check of its own) or the adapted-folder writers are not on the class path.
     */
    InferenceSession open(Subject subject, Path dir, SessionOptions options) {
        BackendProvider p = provider();
        Assumptions.assumeTrue(p.capabilities().supports(Capability.INFER, subject.family), () -> "backend '"
                + p.name() + "' does not declare INFER for " + subject.family + ", so it serves no " + subject
                + " (its refusal is checked by a_family_it_does_not_declare_is_refused_naming_the_backend)");
        KitModels.tokenCacheIn(dir);
        Path base = subject.family.equals(ModelFamily.GPT2)
                ? KitModels.writeGpt2(dir.resolve("gpt2"), KitModels.randomGpt2(KitModels.GPT2, 41))
                : KitModels.writeBert(dir.resolve("bert"), KitModels.randomBert(KitModels.BERT, 42));
        if (!subject.adapted) {
            return p.open(ModelRef.of(base), options);
        }
        AdaptedFolders folders = AdaptedFolders.find().orElse(null);
        Assumptions.assumeTrue(folders != null, AdaptedFolders.MISSING);
        Path folder = switch (subject) {
            case GPT2_HEAD, BERT_HEAD -> folders.writeHead(base, KitModels.LABELS, 43, dir.resolve("head"));
            case BERT_LORA -> folders.writeBertLora(base, KitModels.LABELS, 44, dir.resolve("lora"));
            case BERT_FULL -> folders.writeBertFull(base, KitModels.LABELS, 45, dir.resolve("full"));
            case GPT2_LORA -> folders.writeGpt2Lora(base, 46, dir.resolve("lora"));
            default -> throw new AssertionError(subject);
        };
        return folders.open(p, folder, options);
    }

    /** A valid call of {@code operation}; returns the result (null for operations whose result has no id). */
    static Object invoke(InferenceSession session, Operation operation, Path dir) {
        return switch (operation) {
            case GENERATE -> session.generate(GenerationRequest.builder().prompt("abc").maxTokens(4).seed(1).build());
            case EMBED -> session.embed(List.of("abc", "jihg"));
            case CLASSIFY -> session.classify(CLASSIFY_TEXTS);
            case EVALUATE -> session.evaluate(TextCorpus.of(KitModels.writeCorpus(dir)), Split.VAL);
            case LOGITS -> session.logits(new int[] {1, 2, 3});
        };
    }

    /** Texts the classifier checks send. */
    static final List<String> CLASSIFY_TEXTS = List.of("abc", "jihg", "hijhij");

    private static String idOf(Object result) {
        if (result instanceof GenerationResult g) {
            return g.inferenceId();
        }
        if (result instanceof EmbeddingResult e) {
            return e.inferenceId();
        }
        return result instanceof ClassificationResult c ? c.inferenceId() : null;
    }

    @Nested
    @DisplayName("every call reports exactly one event")
    class EventsPerCall {
        @ParameterizedTest(name = "{1} on {0}")
        @MethodSource("dev.keel.spi.tck.BackendCompatibilityKit#servedCalls")
        void every_call_a_session_serves_reports_one_event_under_the_id_it_returned(Subject subject,
                Operation operation, @TempDir Path dir) {
            List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
            try (InferenceSession session = open(subject, dir, SessionOptions.builder().listener(events::add).build())) {
                assertThat(events).as("events reported while opening %s (the host made no call)", subject).isEmpty();
                Object result = invoke(session, operation, dir);
                assertThat(events).as("events of one %s call on %s", operation, subject).hasSize(1);
                InferenceEvent e = events.get(0);
                assertThat(e.operation()).as("the operation the caller invoked").isEqualTo(operation);
                assertThat(e.error()).as("error of a call that succeeded").isNull();
                assertThat(e.backend()).isEqualTo(provider().name());
                if (idOf(result) != null) {
                    assertThat(e.id()).as("the event's id is the one the call returned, so feedback joins it")
                            .isEqualTo(idOf(result));
                }
                if (result instanceof ClassificationResult c) {
                    assertThat(c.predictions()).hasSize(CLASSIFY_TEXTS.size());
                    assertThat(e.outputs()).as("the predicted labels, one per text, for accuracy from feedback")
                            .containsExactlyElementsOf(c.predictions().stream().map(Prediction::label).toList());
                    assertThat(e.confidences()).as("the predicted labels' confidences")
                            .containsExactlyElementsOf(c.predictions().stream().map(Prediction::confidence).toList());
                    assertThat(e.outputs()).allSatisfy(label -> assertThat(KitModels.LABELS).contains(label));
                    assertThat(e.inputs()).containsExactlyElementsOf(CLASSIFY_TEXTS);
                }
            }
        }
    }

    @Nested
    @DisplayName("each bad input is refused with the documented exception")
    class Refusals {
        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.keel.spi.tck.BackendCompatibilityKit#badCalls")
        void each_bad_input_is_refused_with_its_exception_and_reported_as_one_failed_event(BadCall bad,
                @TempDir Path dir) {
            List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
            try (InferenceSession session = open(bad.subject(), dir,
                    SessionOptions.builder().listener(events::add).build())) {
                assertThatThrownBy(() -> bad.call().accept(session)).as("%s", bad)
                        .isInstanceOf(bad.expected())
                        .satisfies(t -> assertThat(t.getMessage()).as("the message says what was wrong").isNotBlank());
                assertThat(events).as("events of the refused call %s", bad).hasSize(1);
                assertThat(events.get(0).operation()).isEqualTo(bad.operation());
                assertThat(events.get(0).error()).as("the refused call's event carries its error").isNotNull();
            }
        }

        @ParameterizedTest(name = "{0}")
        @EnumSource(value = Subject.class, names = {"GPT2", "BERT"})
        void a_family_it_does_not_declare_is_refused_naming_the_backend(Subject family, @TempDir Path dir) {
            BackendProvider p = provider();
            Assumptions.assumeFalse(p.capabilities().supports(Capability.INFER, family.family), () -> "backend '"
                    + p.name() + "' declares INFER for " + family.family + "; the session checks exercise it");
            Path folder = family == Subject.GPT2
                    ? KitModels.writeGpt2(dir.resolve("gpt2"), KitModels.randomGpt2(KitModels.GPT2, 41))
                    : KitModels.writeBert(dir.resolve("bert"), KitModels.randomBert(KitModels.BERT, 42));
            assertThatThrownBy(() -> p.open(ModelRef.of(folder), SessionOptions.defaults()).close())
                    .as("backend '%s' does not declare INFER for %s, so opening %s must throw "
                            + "UnsupportedCapabilityException naming '%s'", p.name(), family.family, family, p.name())
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(p.name());
        }
    }

    @Nested
    @DisplayName("a closed session refuses every call")
    class AfterClose {
        @ParameterizedTest(name = "{1} on {0}")
        @MethodSource("dev.keel.spi.tck.BackendCompatibilityKit#everyCall")
        void every_call_after_close_throws_SessionClosedException(Subject subject, Operation operation,
                @TempDir Path dir) {
            List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
            InferenceSession session = open(subject, dir, SessionOptions.builder().listener(events::add).build());
            session.close();
            session.close(); // closing twice is harmless
            assertThatThrownBy(() -> invoke(session, operation, dir))
                    .as("%s on %s after close", operation, subject)
                    .isInstanceOf(SessionClosedException.class).hasMessageContaining("closed");
            assertThat(events).as("events of the refused call").hasSize(1);
            assertThat(events.get(0).operation()).isEqualTo(operation);
            assertThat(events.get(0).error()).isNotNull();
        }
    }
}
