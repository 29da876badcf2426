package dev.keel.registry.capture;

/** {@link CaptureCrashContract} on an SQLite file. */
class SqliteCaptureCrashTest extends CaptureCrashContract {
    @Override
    String location() {
        return work.resolve("capture.db").toString();
    }
}
