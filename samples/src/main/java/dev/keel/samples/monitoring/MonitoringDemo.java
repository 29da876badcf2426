package dev.keel.samples.monitoring;

import dev.keel.api.monitor.Alert;
import dev.keel.monitors.builtin.CounterfactualProbe;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Drives the {@link MonitoredService} over HTTP the way users would: SST-2 sentences to {@code /classify}
 * with their true labels as feedback, then Tiny Shakespeare lines (a real shift), then the counterfactual
 * bias probes; writes the scrape, the JSON and the HTML report into a folder.
 *
 * <pre>
 * java -cp ... dev.keel.samples.monitoring.MonitoringDemo [shared/data] [out-dir] [sst2 rows] [shakespeare rows]
 * </pre>
 */
public final class MonitoringDemo {
    private MonitoringDemo() { }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "../shared/data");
        Path out = Path.of(args.length > 1 ? args[1] : "target/monitoring-demo");
        int sstRows = args.length > 2 ? Integer.parseInt(args[2]) : 400;
        int shakespeareRows = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        Files.createDirectories(out);
        List<String> sst = Files.readAllLines(data.resolve("sst2/dev.tsv"));
        List<String> lines = Files.readAllLines(data.resolve("tinyshakespeare/input.txt")).stream()
                .filter(l -> l.length() > 20).toList();
        // events reach the monitors through the hub; these settings only shorten the windows for a short demo
        System.setProperty("keel.monitor.data_drift.reference_size", "200");
        System.setProperty("keel.monitor.data_drift.current_size", "150");
        System.setProperty("keel.monitor.embedding_drift.reference_size", "100");
        System.setProperty("keel.monitor.embedding_drift.current_size", "100");
        System.setProperty("keel.monitor.embedding_drift.sample_rate", "0.5");
        System.setProperty("keel.monitor.accuracy.bucket", "50");
        System.setProperty("keel.monitor.bias.min_group_size", "5");
        try (MonitoredService service = MonitoredService.start("builtin:all-minilm-l6-v2", null, 0)) {
            String base = "http://127.0.0.1:" + service.port();
            HttpClient http = HttpClient.newHttpClient();
            int correct = 0;
            for (int i = 0; i < sstRows && i < sst.size(); i++) {
                String[] row = sst.get(i).split("\t");
                String label = row[1].trim();
                Map<String, Object> r = post(http, base + "/classify", row[0]);
                @SuppressWarnings("unchecked")
                String predicted = (String) ((List<Map<String, Object>>) r.get("predictions")).get(0).get("label");
                correct += predicted.equals(label) ? 1 : 0;
                post(http, base + "/feedback?id=" + r.get("id") + "&kind=label&value=" + label, "");
                if (i % 7 == 0) {
                    post(http, base + "/feedback?id=" + r.get("id") + "&kind=" + (predicted.equals(label) ? "thumbs_up" : "thumbs_down"), "");
                }
            }
            System.out.printf(Locale.ROOT, "SST-2: %d sentences, head accuracy %.3f%n", sstRows, correct / (double) sstRows);
            for (int i = 0; i < shakespeareRows; i++) {
                Map<String, Object> r = post(http, base + "/classify", lines.get(i * 37 % lines.size()));
                if (i % 3 == 0) {
                    post(http, base + "/feedback?id=" + URLEncoder.encode((String) r.get("id"), StandardCharsets.UTF_8)
                            + "&kind=retry", "");
                }
            }
            CounterfactualProbe.Result probe = service.probeBias();
            System.out.printf(Locale.ROOT, "counterfactual probes: mean change %.4f, flips %.3f%n",
                    probe.meanAbsoluteChange(), probe.flipRate());
            service.hub().awaitIdle(Duration.ofSeconds(30));
            for (Alert a : service.hub().checkAlerts()) {
                System.out.println("ALERT " + a.message());
            }
            String metrics = get(http, base + "/metrics");
            String json = get(http, base + "/monitor");
            String html = get(http, base + "/monitor.html");
            AtomicFiles.writeString(out.resolve("metrics.txt"), metrics);
            AtomicFiles.writeString(out.resolve("monitor-report.json"), json);
            AtomicFiles.writeString(out.resolve("monitor-report.html"), html);
            Map<String, Object> report = Json.parseObject(json, "report");
            System.out.println("monitors: " + ((Map<?, ?>) report.get("monitors")).keySet());
            System.out.println("wrote " + out.resolve("monitor-report.html") + ", " + out.resolve("monitor-report.json")
                    + ", " + out.resolve("metrics.txt") + " (" + metrics.lines().count() + " lines)");
            // the JSON report renders to the same page offline
            AtomicFiles.writeString(out.resolve("monitor-report-from-json.html"), MonitorReport.html(report, "from JSON"));
        }
    }

    private static Map<String, Object> post(HttpClient http, String url, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        return Json.parseObject(r.body(), url);
    }

    private static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
