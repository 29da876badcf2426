package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Operation;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apiguardian.api.API;

/**
 * Which captured calls and which feedback a query, the statistics or an export look at. Every part is
 * optional; {@link #all()} selects everything. Build one with the {@code with...} methods:
 * <pre>
 * CaptureFilter.all().model("sentiment").version("3").since(Instant.parse("2026-05-01T00:00:00Z"))
 *         .slice("channel", "mobile")
 * </pre>
 *
 * @param model     the served model's name (the registry name for {@code registry:} models, else the folder
 *                  or builtin name), or null for every model
 * @param versions  the served versions to keep (as the log records them: the registry version number, else
 *                  the model's own version string); empty for every version
 * @param operation {@code classify}, {@code generate}, {@code embed}, ... or null for every operation
 * @param since     inclusive lower bound on time, or null. Calls are timed by when they were served; feedback
 *                  (in feedback queries, statistics and exports) by when the user gave it
 * @param until     exclusive upper bound on time, or null
 * @param slices    tags a call must carry, all of them (the tagger's tags and the built-in {@code backend},
 *                  {@code device}, {@code operation}, {@code predicted}); empty for no condition. A slice or
 *                  model condition leaves out feedback whose call is not in the log
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record CaptureFilter(String model, Set<String> versions, String operation, Instant since, Instant until,
        Map<String, String> slices) {
    private static final CaptureFilter ALL = new CaptureFilter(null, Set.of(), null, null, null, Map.of());

    public CaptureFilter {
        versions = versions == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(versions));
        slices = slices == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(slices));
        if (versions.stream().anyMatch(v -> v == null || v.isBlank())) {
            throw new InvalidInputException("a version filter holds an empty version; give versions such as 3");
        }
        slices.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null) {
                throw new InvalidInputException("slice '" + k + "' = " + v + " is not valid; give KEY=VALUE");
            }
        });
        if (since != null && until != null && !since.isBefore(until)) {
            throw new InvalidInputException("the time range is empty: since " + since + " is not before until "
                    + until + "; give since < until");
        }
        if (model != null && model.isBlank()) {
            model = null;
        }
        if (operation != null) {
            operation = Operation.parse(operation).label(); // refuses an unknown operation with the list of known ones
        }
    }

    /** No condition: every call and every piece of feedback. */
    public static CaptureFilter all() {
        return ALL;
    }

    public CaptureFilter model(String name) {
        return new CaptureFilter(name, versions, operation, since, until, slices);
    }

    /** Adds a version to keep (several versions may be kept). */
    public CaptureFilter version(String version) {
        Set<String> v = new LinkedHashSet<>(versions);
        v.add(version);
        return new CaptureFilter(model, v, operation, since, until, slices);
    }

    public CaptureFilter operation(Operation op) {
        return new CaptureFilter(model, versions, op == null ? null : op.label(), since, until, slices);
    }

    public CaptureFilter since(Instant from) {
        return new CaptureFilter(model, versions, operation, from, until, slices);
    }

    public CaptureFilter until(Instant to) {
        return new CaptureFilter(model, versions, operation, since, to, slices);
    }

    /** Keeps only calls tagged {@code key=value} (on top of any other slice condition). */
    public CaptureFilter slice(String key, String value) {
        Map<String, String> s = new TreeMap<>(slices);
        s.put(key, value);
        return new CaptureFilter(model, versions, operation, since, until, s);
    }

    /** True when {@code at} lies in {@code [since, until)}. */
    public boolean inTime(Instant at) {
        return (since == null || !at.isBefore(since)) && (until == null || at.isBefore(until));
    }

    /** True when the filter says something about the call (so feedback without a logged call cannot pass). */
    public boolean constrainsCall() {
        return model != null || !versions.isEmpty() || operation != null || !slices.isEmpty();
    }
}
