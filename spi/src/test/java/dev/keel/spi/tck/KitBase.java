package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.Capability;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.apiguardian.api.API;

/** What every part of the compatibility kit needs: the provider under test. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface KitBase {
    /** A fresh provider, constructed the way ServiceLoader constructs it. */
    BackendProvider provider();

    default boolean supports(Capability capability, ModelFamily family) {
        return provider().capabilities().supports(capability, family);
    }

    /**
     * Writes a gpt2 folder from {@code tensors} and runs the check on a session over it, or, when the backend
     * does not serve gpt2, asserts that opening it is refused with an error naming the backend.
     */
    default void withGpt2Session(Path dir, SessionOptions options, Map<String, Tensor> tensors,
            Consumer<InferenceSession> check) {
        Path folder = KitModels.writeGpt2(dir.resolve("gpt2"), tensors);
        if (!supports(Capability.INFER, ModelFamily.GPT2)) {
            assertThatThrownBy(() -> provider().open(ModelRef.of(folder), options).close())
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(provider().name());
            return;
        }
        try (InferenceSession session = provider().open(ModelRef.of(folder), options)) {
            check.accept(session);
        }
    }
}
