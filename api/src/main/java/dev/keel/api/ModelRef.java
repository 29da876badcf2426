package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Names a model: a folder on disk in Keel's portable layout, or a model that ships on the class path
 * ({@code builtin:all-minilm-l6-v2}). Nothing is ever downloaded.
 */
@API(status = STABLE, since = "0.1")
public final class ModelRef {
    private static final String BUILTIN = "builtin:";
    private final Path path;
    private final String builtin;

    private ModelRef(Path path, String builtin) {
        this.path = path;
        this.builtin = builtin;
    }

    /**
     * A model folder.
     *
     * @throws InvalidInputException when {@code folder} is null
     */
    public static ModelRef of(Path folder) {
        if (folder == null) {
            throw new InvalidInputException("model folder is null; pass the folder's path, or use "
                    + "ModelRef.parse(\"builtin:NAME\") for a builtin model");
        }
        return new ModelRef(folder, null);
    }

    /**
     * A model shipped on the class path by a backend ({@code all-minilm-l6-v2} with keel-backend-onnx).
     *
     * @throws InvalidInputException when {@code name} is null or blank
     */
    public static ModelRef builtin(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("builtin model name is empty; e.g. builtin:all-minilm-l6-v2");
        }
        return new ModelRef(null, name);
    }

    /**
     * Parses a command-line style reference: {@code builtin:NAME} or a folder path.
     *
     * @throws InvalidInputException when {@code text} is null or blank, or names no builtin after {@code builtin:}
     */
    public static ModelRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("model reference is empty; give a model folder or builtin:NAME");
        }
        return text.startsWith(BUILTIN) ? builtin(text.substring(BUILTIN.length())) : of(Path.of(text));
    }

    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    public Optional<String> builtinName() {
        return Optional.ofNullable(builtin);
    }

    public boolean isBuiltin() {
        return builtin != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelRef r && Objects.equals(path, r.path) && Objects.equals(builtin, r.builtin);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, builtin);
    }

    @Override
    public String toString() {
        return builtin != null ? BUILTIN + builtin : path.toString();
    }
}
