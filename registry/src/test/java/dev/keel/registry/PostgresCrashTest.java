package dev.keel.registry;

/** {@link CrashContract} on a real PostgreSQL server (children connect over TCP), artifacts in a shared folder. */
class PostgresCrashTest extends CrashContract {
    private String url;

    @Override
    String location() {
        if (url == null) {
            url = EmbeddedPostgres.newDatabase();
        }
        return url;
    }

    @Override
    String artifacts() {
        return work.resolve("artifacts").toString();
    }
}
