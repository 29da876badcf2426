package dev.keel.registry.db;

import org.flywaydb.core.api.logging.Log;
import org.flywaydb.core.api.logging.LogCreator;

/**
 * Flyway's log, kept quiet: migrating on every open would otherwise print a dozen INFO lines into the CLI's
 * and the host's output. Warnings and errors go to {@link System.Logger} (java.util.logging unless the host
 * routes it elsewhere). Public with a no-argument constructor because Flyway instantiates it by name.
 */
public final class FlywayLog implements LogCreator {
    @Override
    public Log createLogger(Class<?> clazz) {
        System.Logger logger = System.getLogger(clazz.getName());
        return new Log() {
            @Override
            public void debug(String message) { }

            @Override
            public void info(String message) { }

            @Override
            public void notice(String message) { }

            @Override
            public void warn(String message) {
                logger.log(System.Logger.Level.WARNING, message);
            }

            @Override
            public void error(String message) {
                logger.log(System.Logger.Level.ERROR, message);
            }

            @Override
            public void error(String message, Exception e) {
                logger.log(System.Logger.Level.ERROR, message, e);
            }
        };
    }
}
