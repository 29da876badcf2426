package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.Capability;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import org.apiguardian.api.API;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;

/**
 * What every part of the compatibility kit needs: the provider under test, and the one way the kit treats a
 * capability the backend does not declare. Such a check first asserts the refusal (an
 * {@link UnsupportedCapabilityException} naming the backend, with a failure message that says what was
 * expected and why), then reports itself skipped with the reason, so a backend's test report never shows a
 * check as passed that did not exercise anything.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface KitBase {
    /** A fresh provider, constructed the way ServiceLoader constructs it. */
    BackendProvider provider();

    default boolean supports(Capability capability, ModelFamily family) {
        return provider().capabilities().supports(capability, family);
    }

    /**
     * Asserts that {@code call} (described as a host would write it, e.g. {@code "open(<gpt2 folder>)"}) is
     * refused because the backend does not declare {@code capability} for {@code family}; a failure says so in
     * those words ("backend 'bow' does not declare INFER for gpt2, so open(...) must throw
     * UnsupportedCapabilityException naming 'bow'").
     */
    default void assertRefused(Capability capability, ModelFamily family, String call, ThrowingCallable refused) {
        String name = provider().name();
        expectThrown(String.format("backend '%s' does not declare %s for %s, so %s must throw "
                + "UnsupportedCapabilityException naming '%s'", name, capability, family == null ? "any family" : family,
                call, name), refused)
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(name);
    }

    /**
     * What {@code call} threw, for assertions described by {@code expectation}; a call that returns normally fails
     * with the expectation and "but it returned normally" (AssertJ's own {@code assertThatThrownBy} would say only
     * "Expecting code to raise a throwable", without the kit's explanation).
     */
    static AbstractThrowableAssert<?, ? extends Throwable> expectThrown(String expectation, ThrowingCallable call) {
        Throwable thrown = Assertions.catchThrowable(call);
        if (thrown == null) {
            throw new AssertionError("[" + expectation + "] but it returned normally");
        }
        return assertThat(thrown).as(expectation);
    }

    /**
     * Ends a check that does not apply to this backend: JUnit reports it as skipped with this reason (the
     * refusal itself has been asserted by the caller or by a check named in {@code checkedBy}).
     */
    default void notApplicable(Capability capability, ModelFamily family, String checkedBy) {
        Assumptions.abort("backend '" + provider().name() + "' does not declare " + capability + " for " + family
                + ", so this check does not apply (" + checkedBy + ")");
    }

    /**
     * Writes a gpt2 folder from {@code tensors} and runs the check on a session over it; when the backend does
     * not serve gpt2, asserts that opening it is refused with an error naming the backend, then skips.
     */
    default void withGpt2Session(Path dir, SessionOptions options, Map<String, Tensor> tensors,
            Consumer<InferenceSession> check) {
        withSession(ModelFamily.GPT2, KitModels.writeGpt2(dir.resolve("gpt2"), tensors), options, check);
    }

    /** As {@link #withGpt2Session} for a bert encoder folder written from {@code tensors}. */
    default void withBertSession(Path dir, SessionOptions options, Map<String, Tensor> tensors,
            Consumer<InferenceSession> check) {
        withSession(ModelFamily.BERT, KitModels.writeBert(dir.resolve("bert"), tensors), options, check);
    }

    /** Element-wise closeness; a failure names {@code what} (which text, what the backend must compute) and the dimension. */
    static void assertClose(float[] actual, float[] expected, double tolerance, String what) {
        assertThat(actual).as("%s: vector length", what).hasSize(expected.length);
        for (int j = 0; j < expected.length; j++) {
            assertThat((double) actual[j]).as("%s; dimension %d of the vector it returned, %s", what, j,
                    Arrays.toString(actual))
                    .isCloseTo(expected[j], within(tolerance));
        }
    }

    private void withSession(ModelFamily family, Path folder, SessionOptions options,
            Consumer<InferenceSession> check) {
        if (!supports(Capability.INFER, family)) {
            assertRefused(Capability.INFER, family, "open(" + folder + ")",
                    () -> provider().open(ModelRef.of(folder), options).close());
            notApplicable(Capability.INFER, family, "its refusal was checked");
        }
        try (InferenceSession session = provider().open(ModelRef.of(folder), options)) {
            check.accept(session);
        }
    }
}
