package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import org.apiguardian.api.API;

/**
 * The result of re-hashing a version's files against the hashes recorded when it was registered.
 *
 * @param name        the model
 * @param version     the version
 * @param ok          true when every recorded file is present and unchanged and no file was added
 * @param mismatches  one line per problem: {@code changed PATH (recorded X, found Y)}, {@code missing PATH},
 *                    {@code unexpected PATH}
 * @param bytes       bytes hashed
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record Verification(String name, int version, boolean ok, List<String> mismatches, long bytes) {
    public Verification {
        mismatches = mismatches == null ? List.of() : List.copyOf(mismatches);
    }
}
