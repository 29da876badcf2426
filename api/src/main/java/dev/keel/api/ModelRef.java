package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.iterate.RegistryNames;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Names a model: a folder on disk in Keel's portable layout, a model that ships on the class path
 * ({@code builtin:all-minilm-l6-v2}), or a version in the model registry ({@code registry:sentiment@champion}
 * follows an alias, {@code registry:sentiment/3} is one fixed version). Nothing is ever downloaded.
 */
@API(status = STABLE, since = "0.1")
public final class ModelRef {
    private static final String BUILTIN = "builtin:";
    private static final String REGISTRY = "registry:";
    private final Path path;
    private final String builtin;
    private final Registry registry;

    /**
     * A registry reference: a model name and either an alias or a version number (exactly one of them).
     *
     * @param name     the model's name in the registry
     * @param alias    the alias to resolve (and, for an open session, to follow), or null
     * @param version  the fixed version, or null
     */
    public record Registry(String name, String alias, Integer version) {
        public Registry {
            RegistryNames.requireName(name);
            if ((alias == null) == (version == null)) {
                throw new InvalidInputException("a registry reference names an alias or a version, not "
                        + (alias == null ? "neither" : "both") + "; e.g. registry:" + name + "@champion or registry:"
                        + name + "/1");
            }
            if (alias != null) {
                RegistryNames.requireAlias(alias);
            } else {
                RegistryNames.requireVersion(version);
            }
        }

        public boolean followsAlias() {
            return alias != null;
        }

        @Override
        public String toString() {
            return REGISTRY + name + (alias != null ? "@" + alias : "/" + version);
        }
    }

    private ModelRef(Path path, String builtin, Registry registry) {
        this.path = path;
        this.builtin = builtin;
        this.registry = registry;
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
        return new ModelRef(folder, null, null);
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
        return new ModelRef(null, name, null);
    }

    /** {@code registry:NAME@ALIAS}: whatever version the alias points at (a session follows its moves). */
    public static ModelRef registry(String name, String alias) {
        return new ModelRef(null, null, new Registry(name, alias, null));
    }

    /** {@code registry:NAME/VERSION}: exactly that version. */
    public static ModelRef registry(String name, int version) {
        return new ModelRef(null, null, new Registry(name, null, version));
    }

    /**
     * Parses a command-line style reference: {@code builtin:NAME}, {@code registry:NAME@ALIAS},
     * {@code registry:NAME/VERSION}, or a folder path.
     *
     * @throws InvalidInputException when {@code text} is null or blank, or names no builtin or registry entry
     *         after its prefix
     */
    public static ModelRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("model reference is empty; give a model folder, builtin:NAME, "
                    + "registry:NAME@ALIAS or registry:NAME/VERSION");
        }
        if (text.startsWith(BUILTIN)) {
            return builtin(text.substring(BUILTIN.length()));
        }
        if (text.startsWith(REGISTRY)) {
            return parseRegistry(text, text.substring(REGISTRY.length()));
        }
        return of(Path.of(text));
    }

    private static ModelRef parseRegistry(String text, String rest) {
        int at = rest.indexOf('@');
        int slash = rest.indexOf('/');
        if (at > 0 && slash < 0) {
            return registry(rest.substring(0, at), rest.substring(at + 1));
        }
        if (slash > 0 && at < 0) {
            String number = rest.substring(slash + 1);
            try {
                return registry(rest.substring(0, slash), Integer.parseInt(number));
            } catch (NumberFormatException e) {
                throw new InvalidInputException("'" + text + "' has version '" + number + "', not a number; use "
                        + "registry:NAME/VERSION (e.g. registry:sentiment/3) or registry:NAME@ALIAS", e);
            }
        }
        throw new InvalidInputException("'" + text + "' is not a registry reference; use registry:NAME@ALIAS "
                + "(e.g. registry:sentiment@champion) or registry:NAME/VERSION (e.g. registry:sentiment/3)");
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

    /** The registry form's parts, when this is a {@code registry:} reference. */
    public Optional<Registry> registry() {
        return Optional.ofNullable(registry);
    }

    public boolean isRegistry() {
        return registry != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelRef r && Objects.equals(path, r.path) && Objects.equals(builtin, r.builtin)
                && Objects.equals(registry, r.registry);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, builtin, registry);
    }

    @Override
    public String toString() {
        return builtin != null ? BUILTIN + builtin : registry != null ? registry.toString() : path.toString();
    }
}
