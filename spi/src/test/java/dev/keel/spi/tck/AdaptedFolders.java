package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.BackendProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.apiguardian.api.API;

/**
 * What the kit needs to check adapted folders (a task head, a LoRA adapter, a fully fine-tuned classifier)
 * on a backend: writers for each kind over the kit's base folders, and the way hosts open them. The adapters
 * module implements it in its test-jar (registered for {@link ServiceLoader}); a backend's tests put that
 * test-jar on their class path to run the adapted-folder checks, which are skipped, with this reason, without it.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface AdaptedFolders {
    /** Why the adapted-folder checks are skipped when no implementation is on the test class path. */
    String MISSING = "the adapted-folder checks need keel-adapters and its test-jar on the test class path (they "
            + "write head, LoRA and full folders and open them as hosts do)";

    /** A head classifier (random weights) over the gpt2 or bert folder {@code base}, written to {@code out}. */
    Path writeHead(Path base, List<String> labels, long seed, Path out);

    /** A PEFT LoRA sequence classifier (random adapters and classifier) over the bert folder {@code base}. */
    Path writeBertLora(Path base, List<String> labels, long seed, Path out);

    /** A fully fine-tuned bert sequence classifier ({@code bert.*} and {@code classifier.*} weights). */
    Path writeBertFull(Path base, List<String> labels, long seed, Path out);

    /** A PEFT LoRA causal-LM adapter (random, non-zero) over the gpt2 folder {@code base}. */
    Path writeGpt2Lora(Path base, long seed, Path out);

    /** Opens any model folder on {@code provider} the way {@code KeelRuntime.open} does. */
    InferenceSession open(BackendProvider provider, Path folder, SessionOptions options);

    /** The implementation on the test class path, if any. */
    static Optional<AdaptedFolders> find() {
        return ServiceLoader.load(AdaptedFolders.class).findFirst();
    }
}
