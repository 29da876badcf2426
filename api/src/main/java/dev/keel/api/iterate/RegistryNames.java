package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * The spelling rules for model names and aliases, shared by {@link dev.keel.api.ModelRef}, the registry and
 * the CLI so that all three accept and refuse the same text. A name becomes a folder in the artifact store,
 * so it is path-safe by construction; an alias starts with a letter so that {@code NAME/3} and
 * {@code NAME@champion} can never be confused.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class RegistryNames {
    /** The longest name or alias accepted. */
    public static final int MAX_LENGTH = 128;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z][A-Za-z0-9._-]*");

    private RegistryNames() { }

    public static String requireName(String name) {
        if (name == null || name.length() > MAX_LENGTH || !NAME.matcher(name).matches()) {
            throw new InvalidInputException("model name '" + name + "' is not valid; use 1-" + MAX_LENGTH
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. sentiment)");
        }
        return name;
    }

    public static String requireAlias(String alias) {
        if (alias == null || alias.length() > MAX_LENGTH || !ALIAS.matcher(alias).matches()) {
            throw new InvalidInputException("alias '" + alias + "' is not valid; use 1-" + MAX_LENGTH
                    + " letters, digits, '.', '_' or '-', starting with a letter (e.g. champion)");
        }
        return alias;
    }

    public static int requireVersion(int version) {
        if (version < 1) {
            throw new InvalidInputException("version " + version + " is not valid; versions are numbered from 1");
        }
        return version;
    }
}
