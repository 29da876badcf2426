package dev.keel.registry;

/** {@link CrashContract} on an SQLite registry folder. */
class SqliteCrashTest extends CrashContract {
    @Override
    String location() {
        return work.resolve("registry").toString();
    }

    @Override
    String artifacts() {
        return "-";
    }
}
