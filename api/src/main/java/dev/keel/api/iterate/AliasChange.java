package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.time.Instant;
import org.apiguardian.api.API;

/**
 * One entry of an alias's append-only history: the alias was set (or moved), deleted, or rolled back.
 *
 * @param sequence  the registry event's sequence number (orders all changes of a registry)
 * @param name      the model
 * @param alias     the alias
 * @param action    what happened
 * @param version   the version the alias points at afterwards, or null when it was deleted
 * @param previous  the version it pointed at before, or null when it was unset
 * @param reason    why, as the caller said
 * @param actor     who or what changed it
 * @param at        when the change committed
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record AliasChange(long sequence, String name, String alias, Action action, Integer version, Integer previous,
        String reason, String actor, Instant at) {

    public enum Action { SET, DELETE, ROLLBACK }
}
