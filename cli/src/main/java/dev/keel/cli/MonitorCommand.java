package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel monitor}: prints the monitor report of a running service (its {@code /monitor} endpoint, as
 * the sample service serves it), and writes it as HTML on request.
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Print the monitor report of a running service (its /monitor JSON endpoint).")
public final class MonitorCommand implements Callable<Integer> {
    /** The figures printed per monitor; the JSON result carries all of them. */
    private static final List<String> HEADLINES = List.of("requests_total", "error_rate", "latency_total_p50_seconds",
            "latency_total_p99_seconds", "throughput_requests_per_second", "accuracy", "estimated_accuracy",
            "labelled_total", "dataset_drift", "share_drifted", "demographic_parity_ratio", "equalized_odds_difference",
            "positive_feedback_share", "latency_objective_compliance", "repetition_rate_mean", "drifted",
            "domain_classifier_auc", "events_dropped_total", "monitor_errors_total");

    @Mixin
    CommonOptions common;

    @Option(names = "--url", defaultValue = "http://localhost:8080/monitor", paramLabel = "URL",
            description = "the service's monitor endpoint (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--report", paramLabel = "FILE.html", description = "also write the report as self-contained HTML")
    Path report;

    @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS", description = "(default: ${DEFAULT-VALUE})")
    int timeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Console console = Console.of(common);
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getScheme() == null
                || !List.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
            throw new InvalidInputException("--url '" + url + "' is not an http(s) URL with a host; e.g. "
                    + "http://localhost:8080/monitor");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeout)).build();
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeout)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new InvalidInputException("nothing answers at " + url + "; start the service (e.g. the sample: "
                    + "bin/sample monitoring.MonitoredService, or keel serve) or pass --url with its address");
        }
        if (response.statusCode() != 200) {
            throw new InvalidInputException(url + " answered HTTP " + response.statusCode()
                    + "; point --url at the service's /monitor endpoint");
        }
        Map<String, Object> body = Json.parseObject(response.body(), url);
        Map<String, Object> monitors = map(body.get("monitors"));
        List<?> alerts = body.get("alerts") instanceof List<?> l ? l : List.of();
        console.say("monitor report of " + url + " (" + body.get("generated") + ")");
        for (Object a : alerts) {
            console.say("  ALERT " + map(a).get("message"));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, Object> m : monitors.entrySet()) {
            Map<String, Object> v = map(map(m.getValue()).get("values"));
            values.put(m.getKey(), v);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-16s", m.getKey()));
            for (String k : HEADLINES) {
                if (v.get(k) instanceof Number n) {
                    line.append(String.format(Locale.ROOT, " %s=%.4g", k, n.doubleValue()));
                }
            }
            console.say(line.toString());
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("url", url);
        result.put("monitors", values);
        result.put("alerts", alerts);
        if (report != null) {
            AtomicFiles.writeString(report, MonitorReport.html(body, "Keel monitor report: " + url));
            result.put("report", report.toString());
        }
        if (console.json()) {
            if (report != null) {
                console.say("report: " + report);
            }
        } else {
            result.remove("monitors"); // printed above, a line per monitor
            result.remove("alerts");
        }
        console.result(result);
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
