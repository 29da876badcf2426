package dev.keel.registry.db;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * One database Keel keeps its memory in: an SQLite file (the embedded default, no server) or a PostgreSQL
 * server that several application instances share. Several components live side by side in it, each with
 * its own tables ({@code keel_COMPONENT_*}), its own migration scripts and its own migration history
 * ({@code keel_COMPONENT_schema_history}), applied with Flyway on open; so the model registry and, say, an
 * inference log share a database without knowing about each other.
 * <p>
 * Writes go through {@link #write}: one transaction, serialised against every other writer of the same
 * component in any process (SQLite {@code BEGIN IMMEDIATE}; PostgreSQL {@code pg_advisory_xact_lock}), so
 * a component may number rows as {@code MAX + 1} and its rows commit in key order. Reads and writes of one
 * {@code Database} share one connection and are serialised in this JVM; a component that needs throughput
 * of its own (a capture writer) takes {@link #newConnection()}.
 */
public final class Database implements AutoCloseable {
    /** The SQLite file a folder location holds. */
    public static final String SQLITE_FILE = "keel.db";
    private static final String SQLITE_PREFIX = "jdbc:sqlite:";
    private static final String POSTGRES_PREFIX = "jdbc:postgresql:";
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    // sqlite-jdbc reads these pragmas from the URL, so Flyway's own connections get them too
    private static final String SQLITE_PRAGMAS = "?journal_mode=WAL&synchronous=FULL&busy_timeout=60000&foreign_keys=true";
    private static final ConcurrentHashMap<Path, ReentrantLock> MIGRATION_LOCKS = new ConcurrentHashMap<>();

    private final Dialect dialect;
    private final String url;
    private final String description;
    private final Path file;
    private Connection connection;

    private Database(Dialect dialect, String url, String description, Path file) {
        this.dialect = dialect;
        this.url = url;
        this.description = description;
        this.file = file;
    }

    /**
     * Opens a database from a location: {@code jdbc:postgresql://...}, {@code jdbc:sqlite:FILE}, an SQLite
     * file, or a folder (created when absent) that holds {@value #SQLITE_FILE}.
     */
    public static Database open(String location) {
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("database location is empty; give a folder, an SQLite file, or a "
                    + "JDBC URL (jdbc:postgresql://HOST:PORT/DATABASE?user=U&password=P)");
        }
        if (location.startsWith(POSTGRES_PREFIX)) {
            return postgres(location);
        }
        if (location.startsWith(SQLITE_PREFIX)) {
            String rest = location.substring(SQLITE_PREFIX.length());
            int q = rest.indexOf('?');
            return sqlite(Path.of(q < 0 ? rest : rest.substring(0, q)));
        }
        if (location.startsWith("jdbc:")) {
            throw new InvalidInputException("JDBC URL '" + redact(location) + "' is not supported; Keel stores in "
                    + "PostgreSQL (jdbc:postgresql://HOST:PORT/DATABASE?user=U&password=P) or SQLite (a folder, or "
                    + "jdbc:sqlite:FILE)");
        }
        Path p = Path.of(location);
        return sqlite(Files.isRegularFile(p) ? p : p.resolve(SQLITE_FILE));
    }

    /** An SQLite database file, created (with its folder) when absent; refused when it is not SQLite. */
    public static Database sqlite(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new InvalidInputException(abs + " is a folder, not an SQLite file; give the folder itself as "
                    + "the location, or a file path");
        }
        if (Files.exists(abs)) {
            requireSqliteFile(abs);
        } else {
            try {
                Files.createDirectories(abs.getParent());
            } catch (IOException e) {
                throw new InvalidInputException("cannot create the folder for database " + abs + " (" + e.getMessage()
                        + "); choose a writable location", e);
            }
        }
        Database db = new Database(Dialect.SQLITE, SQLITE_PREFIX + abs + SQLITE_PRAGMAS, abs.toString(), abs);
        db.read(c -> null); // connect now, so a bad location fails here, not in the first write
        return db;
    }

    /** A PostgreSQL database; the URL carries the user and password ({@code ?user=U&password=P}). */
    public static Database postgres(String url) {
        // checked here because the driver logs its own complaint about a bad port to stderr before failing
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("jdbc:postgresql://[^/:?]*(?::([^/?]*))?(/.*)?")
                .matcher(url);
        if (url.startsWith(POSTGRES_PREFIX + "//") && (!m.matches() || (m.group(1) != null && !m.group(1).matches("[0-9]{1,5}")))) {
            throw new InvalidInputException("JDBC URL '" + redact(url) + "' is malformed; expected "
                    + "jdbc:postgresql://HOST:PORT/DATABASE?user=U&password=P (PORT a number, e.g. 5432)");
        }
        Database db = new Database(Dialect.POSTGRESQL, url, redact(url), null);
        db.read(c -> null);
        return db;
    }

    private static void requireSqliteFile(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(SQLITE_MAGIC.length);
            if (head.length == 0) {
                return; // an empty file: SQLite initialises it
            }
            if (!java.util.Arrays.equals(head, SQLITE_MAGIC)) {
                throw new InvalidInputException(file + " is not an SQLite database (it starts with other bytes); "
                        + "it is not Keel's. Point the location at a new folder, or at a folder Keel created");
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read database file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The URL without its password, for messages and logs. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Where the database is, for messages: the SQLite file, or the JDBC URL without its password. */
    public String description() {
        return description;
    }

    /** The SQLite file, for SQLite databases. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** A new connection the caller owns and closes (configured like the shared one). */
    public Connection newConnection() {
        try {
            return DriverManager.getConnection(url);
        } catch (SQLException e) {
            throw connectionFailure(e);
        }
    }

    private KeelException connectionFailure(SQLException e) {
        if (dialect == Dialect.POSTGRESQL) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (why.contains("No suitable driver")) {
                why = "the URL is malformed, or the PostgreSQL driver (org.postgresql:postgresql) is not on the class path";
            }
            return new InvalidInputException("cannot connect to " + description + " (" + why + "); expected "
                    + "jdbc:postgresql://HOST:PORT/DATABASE?user=U&password=P of a running server", e);
        }
        return new InvalidInputException("cannot open SQLite database " + description + " (" + e.getMessage()
                + "); is the folder writable, and is sqlite-jdbc (org.xerial:sqlite-jdbc) on the class path?", e);
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        connection = newConnection();
        return connection;
    }

    /** Drops a connection that failed, so the next call reconnects (a restarted PostgreSQL server, say). */
    private void discardIfBroken(SQLException e) {
        boolean broken = e.getSQLState() != null && e.getSQLState().startsWith("08");
        try {
            broken |= connection != null && !connection.isValid(2);
        } catch (SQLException ignored) {
            broken = true;
        }
        if (broken && connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is being thrown away
            }
            connection = null;
        }
    }

    /** Runs read-only work on the shared connection (autocommit). */
    public synchronized <T> T read(SqlWork<T> work) {
        Connection c;
        try {
            c = connection();
        } catch (SQLException e) {
            throw connectionFailure(e);
        }
        try {
            return work.run(c);
        } catch (SQLException e) {
            discardIfBroken(e);
            throw new KeelException("cannot read from " + description + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work} in one transaction that holds {@code component}'s write lock: no other writer of the
     * component, in this process or another, runs at the same time. Commits when the work returns, rolls
     * back when it throws (a {@link KeelException} passes through as it is).
     */
    public synchronized <T> T write(String component, SqlWork<T> work) {
        Connection c;
        try {
            c = connection();
        } catch (SQLException e) {
            throw connectionFailure(e);
        }
        boolean began = false;
        try {
            if (dialect == Dialect.SQLITE) {
                try (Statement s = c.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                }
            } else {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    // as SQLite's busy timeout: wait for another writer a minute at most, never forever
                    s.execute("SET LOCAL lock_timeout = '60s'");
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    ps.setLong(1, lockKey(component));
                    ps.execute();
                }
            }
            began = true;
            T result = work.run(c);
            if (dialect == Dialect.SQLITE) {
                try (Statement s = c.createStatement()) {
                    s.execute("COMMIT");
                }
            } else {
                c.commit();
            }
            began = false;
            return result;
        } catch (SQLException e) {
            rollback(c, began);
            discardIfBroken(e);
            throw new KeelException("cannot write to " + description + ": " + e.getMessage()
                    + "; nothing was changed", e);
        } catch (RuntimeException | Error e) {
            rollback(c, began);
            throw e;
        } finally {
            if (dialect == Dialect.POSTGRESQL) {
                try {
                    if (!c.isClosed()) {
                        c.setAutoCommit(true);
                    }
                } catch (SQLException ignored) {
                    // the connection is broken; the next call reconnects
                }
            }
        }
    }

    private void rollback(Connection c, boolean began) {
        try {
            if (dialect == Dialect.SQLITE) {
                if (began) {
                    try (Statement s = c.createStatement()) {
                        s.execute("ROLLBACK");
                    }
                }
            } else {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // a failed rollback leaves the transaction to die with the connection: nothing was committed
        }
    }

    private static long lockKey(String component) {
        long h = 1125899906842597L;
        for (char ch : ("keel." + component).toCharArray()) {
            h = 31 * h + ch;
        }
        return h;
    }

    /**
     * Brings {@code component}'s tables to the newest schema with the Flyway migrations under
     * {@code classpathLocation} (e.g. {@code dev/keel/registry/migration}), keeping the history in
     * {@code keel_COMPONENT_schema_history}. Safe when several processes open the same database at once.
     * Refuses an SQLite file that holds tables but none of Keel's, and tables of the component without a
     * migration history, before changing anything.
     */
    public void migrate(String component, String classpathLocation) {
        String history = "keel_" + component + "_schema_history";
        List<String> tables = tables();
        boolean ownTables = tables.stream().anyMatch(t -> t.startsWith("keel_" + component + "_") && !t.equals(history));
        if (dialect == Dialect.SQLITE && !tables.isEmpty() && tables.stream().noneMatch(t -> t.startsWith("keel_"))) {
            throw new InvalidInputException(description + " is an SQLite database but not Keel's: it holds tables "
                    + tables + " and none of Keel's; point the location at a new folder or at one Keel created");
        }
        if (ownTables && !tables.contains(history)) {
            throw new InvalidInputException(description + " holds keel_" + component + "_* tables but no "
                    + history + ", so Keel cannot tell their schema; restore the database from a backup or use a "
                    + "new location");
        }
        Runnable run = () -> {
            try {
                Flyway.configure(Database.class.getClassLoader())
                        .dataSource(url, null, null)
                        .loggers(FlywayLog.class.getName())
                        .table(history)
                        .locations("classpath:" + classpathLocation)
                        // other components' tables may be there already: the component's history starts at 0
                        .baselineOnMigrate(true)
                        .baselineVersion("0")
                        .load()
                        .migrate();
            } catch (FlywayException e) {
                throw new KeelException("cannot bring the " + component + " schema of " + description
                        + " up to date: " + e.getMessage(), e);
            }
        };
        if (file == null) {
            run.run(); // Flyway takes a PostgreSQL advisory lock itself
        } else {
            withFileLock(file.resolveSibling(file.getFileName() + ".migrate-lock"), run);
        }
    }

    /** Serialises SQLite migrations across processes (a file lock) and threads (a lock per file). */
    private static void withFileLock(Path lockFile, Runnable run) {
        ReentrantLock local = MIGRATION_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        local.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            run.run();
        } catch (IOException e) {
            throw new KeelException("cannot lock " + lockFile + " to migrate the database: " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    /** The tables of the database (SQLite) or of the current schema (PostgreSQL), in lower case. */
    public List<String> tables() {
        return read(c -> {
            List<String> out = new ArrayList<>();
            String sql = dialect == Dialect.SQLITE
                    ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()";
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                while (rs.next()) {
                    out.add(rs.getString(1).toLowerCase(java.util.Locale.ROOT));
                }
            }
            return out;
        });
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing: nothing is pending, every write committed or rolled back
            }
            connection = null;
        }
    }
}
