package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.ModelRef;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Stage four's memory of models: immutable versions with lineage, aliases that say which version plays which
 * role ({@code champion}, {@code challenger}, any name) with an append-only history, and events a serving
 * host follows. Every change is one database transaction; a crash at any point leaves either the old or the
 * new state. Thread-safe; several processes may share one registry.
 * <p>
 * Methods that take an {@code actor} accept null for the registry's default (the user and host name).
 * Unknown names, versions and aliases throw {@link ModelNotFoundException}; bad names or aliases
 * {@link dev.keel.api.InvalidInputException}; a version whose files changed {@link dev.keel.api.CheckpointException}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ModelRegistry extends AutoCloseable {

    /**
     * Copies a model folder into the artifact store as the next version of its name, records every file's
     * sha-256, its lineage from keel.json, and (when asked) points an alias at it, all in one transaction.
     */
    ModelVersion register(Registration registration);

    default ModelVersion register(String name, Path folder) {
        return register(Registration.of(name, folder).build());
    }

    /** Every model name, sorted. */
    List<String> names();

    /** The versions of a model, oldest first; empty for a name never registered. */
    List<ModelVersion> versions(String name);

    Optional<ModelVersion> find(String name, int version);

    /** The version, or {@link ModelNotFoundException} naming what exists. */
    default ModelVersion version(String name, int version) {
        return find(name, version).orElseThrow(() -> new ModelNotFoundException(name + "/" + version
                + " is not in the registry; versions of '" + name + "': "
                + versions(name).stream().map(v -> Integer.toString(v.version())).toList()
                + " (keel registry list --name " + name + ")"));
    }

    default Optional<ModelVersion> latest(String name) {
        List<ModelVersion> all = versions(name);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Points {@code alias} at {@code version} (setting or moving it) and appends the change to its history. */
    AliasChange setAlias(String name, String alias, int version, String reason, String actor);

    default AliasChange setAlias(String name, String alias, int version, String reason) {
        return setAlias(name, alias, version, reason, null);
    }

    /** Removes an alias (its history stays); {@link ModelNotFoundException} when it is not set. */
    AliasChange deleteAlias(String name, String alias, String reason, String actor);

    /**
     * Moves an alias back to its previous holder: each rollback undoes one earlier set, so two rollbacks after
     * setting 1, 2, 3 leave it on 1. Fails when the alias has no earlier holder.
     */
    AliasChange rollback(String name, String alias, String reason, String actor);

    /** The version an alias points at now. */
    Optional<ModelVersion> resolve(String name, String alias);

    /** A registry reference: {@code registry:NAME@ALIAS} or {@code registry:NAME/VERSION}. */
    default ModelVersion resolve(ModelRef ref) {
        ModelRef.Registry r = ref.registry().orElseThrow(() -> new dev.keel.api.InvalidInputException(ref
                + " is not a registry reference; expected registry:NAME@ALIAS or registry:NAME/VERSION"));
        if (r.version() != null) {
            return version(r.name(), r.version());
        }
        return resolve(r.name(), r.alias()).orElseThrow(() -> new ModelNotFoundException("alias '" + r.alias()
                + "' of '" + r.name() + "' is not set; aliases of '" + r.name() + "': " + aliases(r.name())
                + " (keel registry alias --name " + r.name() + " --alias " + r.alias() + " --version N)"));
    }

    /** The aliases of a model and the versions they point at, sorted by alias. */
    Map<String, Integer> aliases(String name);

    /** Every change of an alias, oldest first (empty when it was never set). */
    List<AliasChange> aliasHistory(String name, String alias);

    /** What the alias pointed at at {@code time} (empty when it was unset then): "what served on date X". */
    Optional<Integer> aliasAt(String name, String alias, Instant time);

    /**
     * The version's folder, after re-hashing every file against the recorded hashes (and those of its base
     * when the base is kept in the registry). A version whose files changed is refused with a
     * {@link dev.keel.api.CheckpointException} naming the files and the fix.
     */
    Path open(String name, int version);

    /** Re-hashes a version's files and reports every difference; never throws for a mismatch. */
    Verification verify(String name, int version);

    /** Replaces a version's model card (its files stay as they are). */
    ModelVersion updateModelCard(String name, int version, String markdown, String actor);

    /** Sets a tag on a version, or removes it when {@code value} is null. */
    ModelVersion setTag(String name, int version, String key, String value, String actor);

    /** Events after {@code afterSequence} (0 for all), oldest first, at most {@code limit}: the polling form. */
    List<RegistryEvent> events(long afterSequence, int limit);

    /** The sequence number of the newest event, 0 when there is none. */
    long lastSequence();

    /**
     * Delivers every event committed after {@code afterSequence} (by any process sharing the registry) to the
     * listener, in order, on a thread of the registry's; close the subscription to stop.
     */
    Subscription subscribe(long afterSequence, RegistryListener listener);

    /** Delivers events from now on. */
    default Subscription subscribe(RegistryListener listener) {
        return subscribe(lastSequence(), listener);
    }

    /** Where the registry lives, for messages (a folder, or a JDBC URL without its password). */
    String location();

    @Override
    void close();

    /** A listener's registration; closing it stops delivery. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
