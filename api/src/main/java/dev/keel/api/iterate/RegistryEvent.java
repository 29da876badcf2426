package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.time.Instant;
import org.apiguardian.api.API;

/**
 * Something that happened in a registry, in commit order: every process sharing the registry sees the same
 * sequence, so a serving host can follow an alias by listening ({@link ModelRegistry#subscribe}) or by
 * polling ({@link ModelRegistry#events}).
 *
 * @param sequence  1, 2, 3, ... per registry, in commit order, never reused
 * @param type      what happened
 * @param name      the model
 * @param version   the version registered, or the alias's new holder (null when an alias was deleted)
 * @param alias     the alias concerned, or null for {@link Type#REGISTERED} and {@link Type#UPDATED}
 * @param previous  the alias's holder before the change, or null
 * @param reason    why, as the caller said
 * @param actor     who or what did it
 * @param at        when it committed
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record RegistryEvent(long sequence, Type type, String name, Integer version, String alias, Integer previous,
        String reason, String actor, Instant at) {

    public enum Type {
        /** A new version was registered. */
        REGISTERED,
        /** An alias was set or moved to {@code version}. */
        ALIAS_MOVED,
        /** An alias was deleted. */
        ALIAS_DELETED,
        /** An alias was moved back to its previous holder. */
        ROLLED_BACK,
        /** A version's model card or tags were edited (its files never change). */
        UPDATED
    }

    /** True when this event changes what {@code name@alias} resolves to. */
    public boolean moves(String model, String aliasName) {
        return alias != null && name.equals(model) && alias.equals(aliasName)
                && (type == Type.ALIAS_MOVED || type == Type.ALIAS_DELETED || type == Type.ROLLED_BACK);
    }
}
