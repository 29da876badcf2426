package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import com.google.gson.reflect.TypeToken;
import dev.keel.api.CheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.apiguardian.api.API;

/** JSON for Keel's files: numbers stay integers where they are integers, output is pretty and stable. */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Json {
    private static final Gson GSON = new GsonBuilder()
            .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .serializeNulls()
            .serializeSpecialFloatingPointValues()
            .setPrettyPrinting()
            .disableHtmlEscaping()
            .create();
    private static final Gson COMPACT = new GsonBuilder()
            .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .serializeSpecialFloatingPointValues()
            .disableHtmlEscaping()
            .create();

    private static final Gson COMPACT_NULLS = COMPACT.newBuilder().serializeNulls().create();

    private Json() { }

    public static Gson gson() {
        return GSON;
    }

    public static String pretty(Object value) {
        return GSON.toJson(value);
    }

    /** One line, for JSONL logs and the command line's {@code --json}. */
    public static String compact(Object value) {
        return COMPACT.toJson(value);
    }

    /** One line that keeps keys whose value is null (a result that says "no such figure" rather than omitting it). */
    public static String compactWithNulls(Object value) {
        return COMPACT_NULLS.toJson(value);
    }

    /**
     * Parses one JSON object from data (a JSONL line, an HTTP body), failing with an
     * {@link IllegalArgumentException} whose message is only the parser's reason: data is not a model file, so
     * the advice {@link #parseObject} gives for model files does not apply.
     */
    public static Map<String, Object> parseData(String text) {
        try {
            Map<String, Object> map = GSON.fromJson(text, new TypeToken<Map<String, Object>>() { }.getType());
            if (map == null) {
                throw new IllegalArgumentException("it is empty");
            }
            return map;
        } catch (JsonParseException | IllegalStateException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IllegalArgumentException(reason.replaceFirst("^[\\w.]+Exception: ", ""), e);
        }
    }

    public static Map<String, Object> parseObject(String text, String what) {
        try {
            Map<String, Object> map = GSON.fromJson(text, new TypeToken<Map<String, Object>>() { }.getType());
            if (map == null) {
                throw new CheckpointException(what + " is empty; expected a JSON object");
            }
            return map;
        } catch (JsonParseException | IllegalStateException e) {
            throw new CheckpointException(what + " is not valid JSON (" + e.getMessage() + "); "
                    + "restore it from a backup or re-create the model folder", e);
        }
    }

    public static Map<String, Object> readObject(Path file) {
        try {
            return parseObject(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + " does not exist", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
