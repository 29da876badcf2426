package dev.keel.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Names a model: a folder on disk in Keel's portable layout, or a model that ships on the class path
 * ({@code builtin:all-minilm-l6-v2}). Nothing is ever downloaded.
 */
public final class ModelRef {
    private static final String BUILTIN = "builtin:";
    private final Path path;
    private final String builtin;

    private ModelRef(Path path, String builtin) {
        this.path = path;
        this.builtin = builtin;
    }

    public static ModelRef of(Path folder) {
        return new ModelRef(Objects.requireNonNull(folder, "folder"), null);
    }

    public static ModelRef builtin(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("builtin model name is empty; e.g. builtin:all-minilm-l6-v2");
        }
        return new ModelRef(null, name);
    }

    /** Parses a command-line style reference: {@code builtin:NAME} or a folder path. */
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
