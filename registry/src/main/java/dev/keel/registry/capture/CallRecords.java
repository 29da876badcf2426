package dev.keel.registry.capture;

import com.google.gson.reflect.TypeToken;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.spi.checkpoint.Json;
import java.lang.reflect.Type;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a captured call is stored: the columns of {@code keel_capture_calls}, lists and tags as JSON text, and a
 * {@link CaptureFilter} turned into SQL conditions (slices are checked in Java: tags are JSON).
 */
final class CallRecords {
    static final String CALLS = "keel_capture_calls";
    static final String FEEDBACK = "keel_capture_feedback";
    static final String EXPORTS = "keel_capture_exports";

    /** The call columns, prefixed {@code c.} so they can follow a join. */
    static final String COLUMNS = "c.seq, c.id, c.at, c.model, c.version, c.backend, c.device, c.operation, "
            + "c.latency_ns, c.input_tokens, c.output_tokens, c.inputs_json, c.outputs_json, c.confidences_json, "
            + "c.error, c.tags_json";
    static final int COLUMN_COUNT = 16;

    static final String INSERT = "INSERT INTO " + CALLS + " (seq, id, at, model, version, backend, device, operation, "
            + "latency_ns, input_tokens, output_tokens, inputs_json, outputs_json, confidences_json, error, tags_json, "
            + "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";

    private static final Type STRINGS = new TypeToken<List<String>>() { }.getType();
    private static final Type DOUBLES = new TypeToken<List<Double>>() { }.getType();
    private static final Type TAGS = new TypeToken<Map<String, String>>() { }.getType();

    private CallRecords() { }

    /** A call ready to insert: every text already redacted, every list already JSON. */
    record Row(String id, long at, String model, String version, String backend, String device, String operation,
            long latencyNanos, long inputTokens, long outputTokens, String inputsJson, String outputsJson,
            String confidencesJson, String error, String tagsJson) {

        void bind(PreparedStatement ps, long seq, long now) throws SQLException {
            ps.setLong(1, seq);
            ps.setString(2, id);
            ps.setLong(3, at);
            ps.setString(4, model);
            ps.setString(5, version);
            ps.setString(6, backend);
            ps.setString(7, device);
            ps.setString(8, operation);
            ps.setLong(9, latencyNanos);
            ps.setLong(10, inputTokens);
            ps.setLong(11, outputTokens);
            ps.setString(12, inputsJson);
            ps.setString(13, outputsJson);
            ps.setString(14, confidencesJson);
            ps.setString(15, error);
            ps.setString(16, tagsJson);
            ps.setLong(17, now);
        }
    }

    static String json(Object value) {
        return Json.compact(value);
    }

    /**
     * PostgreSQL refuses the NUL character in text; JSON columns escape it, and the few plain text columns (ids,
     * names, messages) drop it, the same on both stores.
     */
    static String plain(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace("\0", "");
    }

    /** Reads the call columns starting at {@code first} (1-based) of the current row; null after a LEFT JOIN miss. */
    static CapturedCall read(ResultSet rs, int first) throws SQLException {
        long seq = rs.getLong(first);
        if (rs.wasNull()) {
            return null;
        }
        List<String> inputs = Json.gson().fromJson(rs.getString(first + 11), STRINGS);
        List<String> outputs = Json.gson().fromJson(rs.getString(first + 12), STRINGS);
        List<Double> confidences = Json.gson().fromJson(rs.getString(first + 13), DOUBLES);
        Map<String, String> tags = Json.gson().fromJson(rs.getString(first + 15), TAGS);
        return new CapturedCall(seq, rs.getString(first + 1), Instant.ofEpochMilli(rs.getLong(first + 2)),
                rs.getString(first + 3), rs.getString(first + 4), rs.getString(first + 5), rs.getString(first + 6),
                rs.getString(first + 7), rs.getLong(first + 8), rs.getLong(first + 9), rs.getLong(first + 10),
                inputs, outputs, confidences, rs.getString(first + 14), tags);
    }

    /** SQL conditions on the call columns (alias {@code c}) and their parameters. */
    record Where(String sql, List<Object> params) {
        void bind(PreparedStatement ps, int first) throws SQLException {
            for (int i = 0; i < params.size(); i++) {
                Object p = params.get(i);
                if (p instanceof Long l) {
                    ps.setLong(first + i, l);
                } else {
                    ps.setString(first + i, (String) p);
                }
            }
        }
    }

    /**
     * The filter's conditions on calls. {@code timeColumn} is the column its time bounds apply to
     * ({@code c.at} for calls, {@code f.given_at} for feedback).
     */
    static Where where(CaptureFilter filter, String timeColumn) {
        StringBuilder sql = new StringBuilder(" WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (filter.model() != null) {
            sql.append(" AND c.model = ?");
            params.add(filter.model());
        }
        if (!filter.versions().isEmpty()) {
            sql.append(" AND c.version IN (").append(String.join(", ", java.util.Collections.nCopies(filter.versions().size(), "?"))).append(')');
            params.addAll(filter.versions());
        }
        if (filter.operation() != null) {
            sql.append(" AND c.operation = ?");
            params.add(filter.operation());
        }
        if (filter.since() != null) {
            sql.append(" AND ").append(timeColumn).append(" >= ?");
            params.add(filter.since().toEpochMilli());
        }
        if (filter.until() != null) {
            sql.append(" AND ").append(timeColumn).append(" < ?");
            params.add(filter.until().toEpochMilli());
        }
        return new Where(sql.toString(), params);
    }

    /** True when item {@code k} of the call carries every slice value the filter asks for. */
    static boolean inSlice(CaptureFilter filter, CapturedCall call, int k) {
        if (filter.slices().isEmpty()) {
            return true;
        }
        if (call == null) {
            return false;
        }
        Map<String, String> s = call.slice(k);
        return filter.slices().entrySet().stream().allMatch(e -> e.getValue().equals(s.get(e.getKey())));
    }

    /** True when some item of the call is in the filter's slice. */
    static boolean anyInSlice(CaptureFilter filter, CapturedCall call) {
        int n = Math.max(1, call.inputs().size());
        for (int k = 0; k < n; k++) {
            if (inSlice(filter, call, k)) {
                return true;
            }
        }
        return false;
    }
}
