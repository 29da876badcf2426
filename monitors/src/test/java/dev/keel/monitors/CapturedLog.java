package dev.keel.monitors;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What a class logs through {@code System.Logger} (JUL by default) during a test, kept instead of printed:
 * tests that provoke a failure on purpose assert the warning rather than leave a stack trace in a green run.
 */
public final class CapturedLog implements AutoCloseable {
    private final Logger logger;
    private final boolean parents;
    private final Handler handler;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private CapturedLog(Logger logger) {
        this.logger = logger;
        this.parents = logger.getUseParentHandlers();
        this.handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        };
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
    }

    public static CapturedLog of(Class<?> type) {
        return new CapturedLog(Logger.getLogger(type.getName()));
    }

    /** Each record as "LEVEL message (exception)". */
    public List<String> lines() {
        return records.stream().map(r -> r.getLevel() + " " + r.getMessage()
                + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")")).toList();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setUseParentHandlers(parents);
    }
}
