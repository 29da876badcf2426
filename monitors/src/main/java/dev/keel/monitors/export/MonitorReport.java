package dev.keel.monitors.export;

import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.spi.checkpoint.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The monitor report as JSON and as one self-contained HTML page (inline CSS and SVG, no scripts, nothing
 * fetched): alerts, a latency histogram with the percentiles per stage, drift per feature with its test and
 * threshold, accuracy over time, the bias table, and every other value. The HTML is rendered from the JSON
 * form, so a report fetched from a running service renders the same as one built in process.
 */
public final class MonitorReport {
    private MonitorReport() { }

    /** The report of a hub, as plain maps and lists (the JSON form). */
    public static Map<String, Object> of(MonitorHub hub) {
        Map<String, Object> r = of(hub.snapshots(), null);
        r.put("alerts", hub.alerts().stream().map(MonitorReport::alert).toList());
        return r;
    }

    /** A report of snapshots and, optionally, an offline drift comparison. */
    public static Map<String, Object> of(List<MonitorSnapshot> snapshots, DriftReport drift) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("generated", Instant.now().toString());
        Map<String, Object> monitors = new LinkedHashMap<>();
        for (MonitorSnapshot s : snapshots) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("taken", s.taken().toString());
            // NaN (not measured yet) is not JSON; null says the same and parses everywhere
            Map<String, Object> values = new LinkedHashMap<>();
            s.values().forEach((k, v) -> values.put(k, v == null || v.isNaN() || v.isInfinite() ? null : v));
            m.put("values", values);
            m.put("details", finite(s.details()));
            monitors.put(s.monitor(), m);
        }
        r.put("monitors", monitors);
        if (drift != null) {
            r.put("drift", drift.toMap());
        }
        r.put("alerts", List.of());
        return r;
    }

    /** Details with NaN numbers replaced by null, recursively. */
    private static Object finite(Object o) {
        if (o instanceof Double d && (d.isNaN() || d.isInfinite())) {
            return null;
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), finite(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(finite(v)));
            return out;
        }
        return o;
    }

    private static Map<String, Object> alert(Alert a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("monitor", a.monitor());
        m.put("metric", a.metric());
        m.put("value", a.value());
        m.put("threshold", a.threshold());
        m.put("message", a.message());
        m.put("raised", a.raised().toString());
        return m;
    }

    public static String json(Map<String, Object> report) {
        return Json.pretty(report);
    }

    /** The HTML page for a report in its JSON form (as built here or parsed back from JSON). */
    public static String html(Map<String, Object> report, String title) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title><style>")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1100px}")
                .append("h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}")
                .append("table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .append("th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#b00020;font-weight:600}")
                .append(".ok{color:#0a7a2f}.muted{color:#777;font-size:12px}.alert{background:#fff3f3;border-left:4px solid #b00020;padding:4px 8px;margin:4px 0;font-size:13px}")
                .append("svg{background:#fafafa;border:1px solid #e5e5e5}")
                .append("</style></head><body>");
        h.append("<h1>").append(esc(title)).append("</h1><div class=\"muted\">generated ")
                .append(esc(String.valueOf(report.get("generated")))).append("</div>");
        Map<String, Object> monitors = map(report.get("monitors"));
        if (!monitors.isEmpty() || !list(report.get("alerts")).isEmpty()) {
            alerts(h, list(report.get("alerts")));
        }
        Map<String, Object> drift = map(report.get("drift"));
        if (!drift.isEmpty()) {
            h.append("<h2>Drift</h2>");
            driftTable(h, drift);
        }
        latency(h, map(monitors.get("latency")));
        dataDrift(h, monitors);
        accuracy(h, map(monitors.get("accuracy")));
        bias(h, map(monitors.get("bias")));
        for (Map.Entry<String, Object> m : monitors.entrySet()) {
            Map<String, Object> values = map(map(m.getValue()).get("values"));
            if (values.isEmpty()) {
                continue;
            }
            h.append("<h2>").append(esc(m.getKey())).append(" values</h2><table><tr><th>metric</th><th>value</th></tr>");
            for (Map.Entry<String, Object> v : new java.util.TreeMap<>(values).entrySet()) {
                h.append("<tr><td>").append(esc(v.getKey())).append("</td><td>").append(num(v.getValue())).append("</td></tr>");
            }
            h.append("</table>");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void alerts(StringBuilder h, List<Object> alerts) {
        h.append("<h2>Alerts</h2>");
        if (alerts.isEmpty()) {
            h.append("<div class=\"ok\">none raised</div>");
        }
        for (Object o : alerts) {
            Map<String, Object> a = map(o);
            h.append("<div class=\"alert\">").append(esc(String.valueOf(a.get("message")))).append(" <span class=\"muted\">")
                    .append(esc(String.valueOf(a.get("raised")))).append("</span></div>");
        }
    }

    private static void latency(StringBuilder h, Map<String, Object> latency) {
        if (latency.isEmpty()) {
            return;
        }
        Map<String, Object> v = map(latency.get("values"));
        h.append("<h2>Latency</h2>");
        List<Object> buckets = list(map(latency.get("details")).get("histogram_total_seconds"));
        if (!buckets.isEmpty()) {
            int w = 720;
            int ht = 200;
            double max = 1;
            for (Object b : buckets) {
                max = Math.max(max, dbl(map(b).get("count")));
            }
            double bw = (w - 60.0) / buckets.size();
            h.append("<svg width=\"").append(w).append("\" height=\"").append(ht + 40).append("\" role=\"img\">");
            h.append("<text x=\"8\" y=\"16\" font-size=\"12\">calls per latency bucket (total time, log scale)</text>");
            for (int i = 0; i < buckets.size(); i++) {
                Map<String, Object> b = map(buckets.get(i));
                double bar = dbl(b.get("count")) / max * (ht - 30);
                h.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3b6fb6\"><title>%s-%s s: %s</title></rect>",
                        40 + i * bw, ht - bar, Math.max(1, bw - 2), bar, seconds(b.get("from_seconds")),
                        seconds(b.get("to_seconds")), num(b.get("count"))));
                if (i % 4 == 0) {
                    h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s</text>",
                            40 + i * bw, ht + 14, seconds(b.get("from_seconds"))));
                }
            }
            h.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"10\">%s</text>", 40, num(max)));
            h.append(String.format(Locale.ROOT, "<line x1=\"38\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", ht, w - 10, ht));
            h.append("</svg>");
        }
        h.append("<table><tr><th>stage</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>");
        for (String stage : new String[] {"latency_tokenize", "latency_queue", "latency_compute", "latency_total",
            "time_to_first_token", "time_per_output_token"}) {
            if (!v.containsKey(stage + "_p50_seconds")) {
                continue;
            }
            h.append("<tr><td>").append(stage).append("</td>");
            for (String p : new String[] {"p50", "p95", "p99", "max"}) {
                h.append("<td>").append(seconds(v.get(stage + "_" + p + "_seconds"))).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table><div class=\"muted\">requests ").append(num(v.get("requests_total"))).append(", error rate ")
                .append(num(v.get("error_rate"))).append(", throughput ").append(num(v.get("throughput_requests_per_second")))
                .append(" /s</div>");
    }

    private static void dataDrift(StringBuilder h, Map<String, Object> monitors) {
        for (String name : new String[] {"data_drift", "generation", "embedding_drift"}) {
            Map<String, Object> m = map(monitors.get(name));
            if (m.isEmpty()) {
                continue;
            }
            Map<String, Object> d = map(m.get("details"));
            // the generation monitor nests its drift report; the others carry it at the top of their details
            Map<String, Object> drift = d.get("drift") instanceof Map<?, ?> ? map(d.get("drift")) : d;
            if (list(drift.get("tests")).isEmpty()) {
                continue;
            }
            h.append("<h2>Drift: ").append(esc(name)).append("</h2>");
            driftTable(h, drift);
        }
    }

    private static void driftTable(StringBuilder h, Map<String, Object> drift) {
        if (drift.containsKey("drift")) {
            boolean d = Boolean.TRUE.equals(drift.get("drift"));
            List<Object> tests = list(drift.get("tests"));
            long drifted = tests.stream().filter(t -> Boolean.TRUE.equals(map(t).get("drifted"))).count();
            h.append("<div class=\"").append(d ? "bad" : "ok").append("\">drift: ").append(d ? "yes" : "no")
                    .append(" (").append(drifted).append(" of ").append(tests.size())
                    .append(" tests drifted; the samples drift when a share of ").append(num(drift.get("drift_share")))
                    .append(" of the features does)</div>");
        }
        h.append("<table><tr><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th>"
                + "<th>drifted</th><th>reference</th><th>current</th></tr>");
        for (Object o : list(drift.get("tests"))) {
            Map<String, Object> t = map(o);
            boolean d = Boolean.TRUE.equals(t.get("drifted"));
            h.append("<tr><td>").append(esc(String.valueOf(t.get("feature")))).append("</td><td>")
                    .append(esc(String.valueOf(t.get("test")))).append("</td><td>").append(num(t.get("statistic")))
                    .append("</td><td>").append(t.containsKey("p_value") ? num(t.get("p_value")) : "&ndash;")
                    .append("</td><td>").append(num(t.get("threshold"))).append("</td><td class=\"")
                    .append(d ? "bad\">yes" : "ok\">no").append("</td><td>").append(num(t.get("reference_rows")))
                    .append("</td><td>").append(num(t.get("current_rows"))).append("</td></tr>");
        }
        h.append("</table>");
    }

    private static void accuracy(StringBuilder h, Map<String, Object> accuracy) {
        if (accuracy.isEmpty()) {
            return;
        }
        Map<String, Object> v = map(accuracy.get("values"));
        h.append("<h2>Accuracy over time</h2><div>window accuracy ").append(num(v.get("accuracy")))
                .append(", estimated (CBPE) ").append(num(v.get("estimated_accuracy"))).append(", labelled ")
                .append(num(v.get("labelled_total"))).append("</div>");
        List<Object> series = list(map(accuracy.get("details")).get("series"));
        if (series.size() < 2) {
            h.append("<div class=\"muted\">not enough labelled feedback for a curve yet</div>");
            return;
        }
        int w = 720;
        int ht = 200;
        h.append("<svg width=\"").append(w).append("\" height=\"").append(ht + 30).append("\" role=\"img\">");
        for (double y : new double[] {0, 0.25, 0.5, 0.75, 1}) {
            double py = 10 + (1 - y) * (ht - 20);
            h.append(String.format(Locale.ROOT, "<line x1=\"40\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                    + "<text x=\"4\" y=\"%.1f\" font-size=\"10\">%.2f</text>", py, w - 10, py, py + 3, y));
        }
        h.append(polyline(series, "accuracy", "#3b6fb6", w, ht)).append(polyline(series, "estimated_accuracy", "#e08a1e", w, ht));
        h.append(String.format(Locale.ROOT, "<text x=\"50\" y=\"%d\" font-size=\"11\" fill=\"#3b6fb6\">observed (from labels)</text>"
                + "<text x=\"220\" y=\"%d\" font-size=\"11\" fill=\"#e08a1e\">estimated from confidence</text>", ht + 20, ht + 20));
        h.append("</svg>");
    }

    private static String polyline(List<Object> series, String key, String colour, int w, int ht) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < series.size(); i++) {
            double y = dbl(map(series.get(i)).get(key));
            if (Double.isNaN(y)) {
                continue;
            }
            double px = 40 + i * (w - 60.0) / Math.max(1, series.size() - 1);
            double py = 10 + (1 - y) * (ht - 20);
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        }
        return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" points=\"" + pts + "\"/>";
    }

    private static void bias(StringBuilder h, Map<String, Object> bias) {
        if (bias.isEmpty()) {
            return;
        }
        Map<String, Object> v = map(bias.get("values"));
        Map<String, Object> d = map(bias.get("details"));
        h.append("<h2>Bias</h2><table><tr><th>group</th><th>predictions</th><th>positive rate</th><th>labelled</th>"
                + "<th>true positive rate</th><th>false positive rate</th></tr>");
        for (Object o : list(d.get("groups"))) {
            Map<String, Object> g = map(o);
            h.append("<tr><td>").append(esc(String.valueOf(g.get("group")))).append("</td><td>").append(num(g.get("predictions")))
                    .append("</td><td>").append(num(g.get("positive_rate"))).append("</td><td>").append(num(g.get("labelled")))
                    .append("</td><td>").append(num(g.get("true_positive_rate"))).append("</td><td>")
                    .append(num(g.get("false_positive_rate"))).append("</td></tr>");
        }
        h.append("</table>");
        double ratio = dbl(v.get("demographic_parity_ratio"));
        h.append("<div>demographic parity difference ").append(num(v.get("demographic_parity_difference")))
                .append(", ratio <span class=\"").append(ratio < 0.8 ? "bad" : "ok").append("\">").append(num(ratio))
                .append("</span> (four-fifths rule: at least 0.8), equalized-odds difference ")
                .append(num(v.get("equalized_odds_difference"))).append("</div>");
        Map<String, Object> cf = map(d.get("counterfactual"));
        if (!cf.isEmpty()) {
            h.append("<div>counterfactual probes: mean change of the positive probability ").append(num(cf.get("mean_abs_change")))
                    .append(", largest ").append(num(cf.get("max_change"))).append(", label flips ")
                    .append(num(cf.get("flip_rate"))).append("</div>");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : new ArrayList<>();
    }

    private static double dbl(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String num(Object o) {
        if (!(o instanceof Number n)) {
            return o == null ? "&ndash;" : esc(String.valueOf(o));
        }
        double d = n.doubleValue();
        if (Double.isNaN(d)) {
            return "&ndash;";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e12) {
            return String.format(Locale.ROOT, "%,d", (long) d);
        }
        return Math.abs(d) >= 1e-3 ? String.format(Locale.ROOT, "%.4g", d) : String.format(Locale.ROOT, "%.2e", d);
    }

    private static String seconds(Object o) {
        double s = dbl(o);
        if (Double.isNaN(s)) {
            return "&ndash;";
        }
        if (s < 1e-3) {
            return String.format(Locale.ROOT, "%.0f &micro;s", s * 1e6);
        }
        if (s < 1) {
            return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
        }
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
