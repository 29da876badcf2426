package dev.keel.spi;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Whether a backend can run here, decided without loading native code (class presence, OS and
 * architecture, a GPU native artifact on the class path).
 *
 * @param available true when the backend should work
 * @param reason    why not, and what to do; empty when available
 */
@API(status = STABLE, since = "0.1")
public record Availability(boolean available, String reason) {
    public static Availability yes() {
        return new Availability(true, "");
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }

    /** Available when every named class is on the class path (checked without initialising it). */
    public static Availability ifClassesPresent(ClassLoader loader, String fix, String... classNames) {
        for (String name : classNames) {
            try {
                Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return no("class " + name + " is missing; " + fix);
            }
        }
        return yes();
    }
}
