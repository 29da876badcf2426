package dev.keel.runtime.iterate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.iterate.FeedbackStore;
import dev.keel.api.monitor.Feedback;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * User feedback kept in an SQLite database file, so nothing a user said is lost when the host restarts
 * or crashes: every record is one committed transaction (WAL journal, synchronous FULL). Thread-safe.
 */
public final class SqliteFeedbackStore implements FeedbackStore {
    private final Path file;
    private final Connection connection;

    private SqliteFeedbackStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens (creating if needed) the store at {@code file}. */
    public static SqliteFeedbackStore open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot create the folder for feedback store " + file + ": "
                    + e.getMessage(), e);
        }
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE IF NOT EXISTS feedback ("
                        + "seq INTEGER PRIMARY KEY AUTOINCREMENT, inference_id TEXT NOT NULL, kind TEXT NOT NULL, "
                        + "value TEXT, score REAL, at_epoch_ms INTEGER NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS feedback_at ON feedback(at_epoch_ms)");
                s.execute("CREATE INDEX IF NOT EXISTS feedback_inference ON feedback(inference_id)");
            }
            return new SqliteFeedbackStore(file, c);
        } catch (SQLException e) {
            throw new InvalidInputException("cannot open feedback store " + file + " (" + e.getMessage()
                    + "); is it an SQLite database written by Keel, and is the folder writable?", e);
        }
    }

    @Override
    public synchronized void record(Feedback feedback) {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO feedback(inference_id, kind, value, score, at_epoch_ms) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, feedback.inferenceId());
            ps.setString(2, feedback.kind().name());
            ps.setString(3, feedback.value());
            if (Double.isNaN(feedback.score())) {
                ps.setNull(4, java.sql.Types.REAL);
            } else {
                ps.setDouble(4, feedback.score());
            }
            ps.setLong(5, feedback.timestamp().toEpochMilli());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new KeelException("cannot record feedback in " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<Feedback> since(Instant from) {
        List<Feedback> out = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT inference_id, kind, value, score, at_epoch_ms FROM feedback WHERE at_epoch_ms >= ? ORDER BY seq")) {
            ps.setLong(1, from.toEpochMilli());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double score = rs.getDouble(4);
                    if (rs.wasNull()) {
                        score = Double.NaN;
                    }
                    out.add(new Feedback(rs.getString(1), Feedback.Kind.valueOf(rs.getString(2)), rs.getString(3),
                            score, Instant.ofEpochMilli(rs.getLong(5))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new KeelException("cannot read feedback from " + file + ": " + e.getMessage(), e);
        }
    }

    /** All feedback recorded for one inference, oldest first. */
    public synchronized List<Feedback> forInference(String inferenceId) {
        return since(Instant.EPOCH).stream().filter(f -> f.inferenceId().equals(inferenceId)).toList();
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new KeelException("cannot close feedback store " + file + ": " + e.getMessage(), e);
        }
    }
}
