package dev.keel.cli;

import dev.keel.spi.checkpoint.Json;
import java.io.PrintStream;
import java.util.Map;

/**
 * Where a verb's output goes: human lines to stdout, or to stderr under {@code --json} so that the last
 * line of stdout is the one JSON object scripts read.
 */
public final class Console {
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;

    public Console(boolean json, PrintStream out, PrintStream err) {
        this.json = json;
        this.out = out;
        this.err = err;
    }

    public static Console of(CommonOptions common) {
        return new Console(common.json, System.out, System.err);
    }

    /** A line for people. */
    public void say(String line) {
        (json ? err : out).println(line);
    }

    /** A warning: always to stderr, so it never mixes with results a script reads. */
    public void warn(String line) {
        endProgress();
        err.println(line);
    }

    /** A progress line that rewrites itself on a terminal; plain lines otherwise. */
    public void progress(String line) {
        PrintStream p = json ? err : out;
        if (System.console() != null) {
            p.print("\r" + line + "\u001b[K");
            p.flush();
        } else {
            p.println(line);
        }
    }

    public void endProgress() {
        if (System.console() != null) {
            (json ? err : out).println();
        }
    }

    /**
     * The verb's result: one JSON line under {@code --json}, else "key: value" lines. JSON has no NaN or
     * infinity (parsers reject them), so a figure that does not exist (no dev set, no evaluation) is null.
     */
    public void result(Map<String, ?> values) {
        if (json) {
            out.println(Json.compactWithNulls(finite(values)));
        } else {
            values.forEach((k, v) -> out.println(k + ": " + (v instanceof Double d ? String.format("%.4f", d) : v)));
        }
        out.flush();
    }

    /** A copy of {@code value} with every non-finite number, at any depth, replaced by null. */
    static Object finite(Object value) {
        if (value instanceof Double d && !Double.isFinite(d) || value instanceof Float f && !Float.isFinite(f)) {
            return null;
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> copy = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(k, finite(v)));
            return copy;
        }
        if (value instanceof Iterable<?> list) {
            java.util.List<Object> copy = new java.util.ArrayList<>();
            list.forEach(v -> copy.add(finite(v)));
            return copy;
        }
        if (value instanceof double[] a) {
            java.util.List<Object> copy = new java.util.ArrayList<>(a.length);
            for (double v : a) {
                copy.add(finite(v));
            }
            return copy;
        }
        return value;
    }

    public boolean json() {
        return json;
    }
}
