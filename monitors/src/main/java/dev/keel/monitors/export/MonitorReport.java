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
                .append("svg{background:#fafafa;border:1px solid #e5e5e5;margin:4px 8px 4px 0}")
                .append("h3{font-size:14px;margin:18px 0 6px}.grid{display:flex;flex-wrap:wrap}.fig{margin:8px 0}")
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
        List<Object> series = list(map(latency.get("details")).get("series_total_seconds"));
        if (!series.isEmpty()) {
            List<String> labels = new ArrayList<>();
            double[][] ms = new double[3][series.size()];
            String[] keys = {"p50_seconds", "p95_seconds", "p99_seconds"};
            for (int i = 0; i < series.size(); i++) {
                Map<String, Object> p = map(series.get(i));
                String start = String.valueOf(p.get("start"));
                labels.add(start.length() >= 19 ? start.substring(11, 19) : start);
                for (int k = 0; k < keys.length; k++) {
                    ms[k][i] = dbl(p.get(keys[k])) * 1e3;
                }
            }
            Map<String, Object> first = map(series.get(0));
            h.append("<div class=\"fig\">").append(Charts.lines("Latency percentiles over time (total per call)", labels,
                    "interval start (UTC), " + num(first.get("seconds")) + " s intervals",
                    List.of(new Charts.Series("p50", Charts.PALETTE[0], ms[0]), new Charts.Series("p95", Charts.PALETTE[1], ms[1]),
                            new Charts.Series("p99", Charts.PALETTE[2], ms[2])),
                    Double.NaN, Double.NaN, y -> String.format(Locale.ROOT, "%.3g ms", y), 900, 260)).append("</div>");
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

    /**
     * One sentence for a drift comparison, the same on the console and in the report: the verdict, how many
     * features drifted against the share that decides it, and each embedding test with its threshold. Every row
     * of {@code tests} is one feature compared by one test; the embedding is one feature with two tests.
     */
    public static String driftSummary(Map<String, Object> drift) {
        List<Object> tests = list(drift.get("tests"));
        List<Map<String, Object>> features = new ArrayList<>();
        List<Map<String, Object>> embedding = new ArrayList<>();
        for (Object o : tests) {
            Map<String, Object> t = map(o);
            ("embedding".equals(t.get("feature")) ? embedding : features).add(t);
        }
        StringBuilder s = new StringBuilder("drift: ").append(Boolean.TRUE.equals(drift.get("drift")) ? "yes" : "no");
        if (!features.isEmpty()) {
            long drifted = features.stream().filter(t -> Boolean.TRUE.equals(t.get("drifted"))).count();
            double share = dbl(drift.get("drift_share"));
            s.append("; ").append(drifted).append(" of ").append(features.size()).append(" features drifted");
            if (!Double.isNaN(share)) {
                s.append(String.format(Locale.ROOT, " (the samples drift when at least %.0f%% do)", share * 100));
            }
        }
        for (Map<String, Object> t : embedding) {
            boolean pValue = t.containsKey("p_value");
            s.append("; embedding ").append(t.get("test")).append(' ')
                    .append(pValue ? "p " + plain(t.get("p_value")) : plain(t.get("statistic")))
                    .append(pValue ? " (drifts below " : " (drifts at or above ").append(plain(t.get("threshold")))
                    .append("): ").append(Boolean.TRUE.equals(t.get("drifted")) ? "drifted" : "no drift");
        }
        return s.toString();
    }

    private static void driftTable(StringBuilder h, Map<String, Object> drift) {
        if (drift.containsKey("drift")) {
            boolean d = Boolean.TRUE.equals(drift.get("drift"));
            h.append("<div class=\"").append(d ? "bad" : "ok").append("\">").append(esc(driftSummary(drift)))
                    .append("</div>");
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
        driftFigures(h, list(drift.get("tests")));
    }

    /** Each test's statistic against its threshold, then each feature's reference and current distributions. */
    private static void driftFigures(StringBuilder h, List<Object> tests) {
        if (tests.isEmpty()) {
            return;
        }
        List<Charts.Bar> bars = new ArrayList<>();
        for (Object o : tests) {
            Map<String, Object> t = map(o);
            boolean pValue = t.containsKey("p_value");
            double threshold = dbl(t.get("threshold"));
            double value = pValue ? dbl(t.get("p_value")) : dbl(t.get("statistic"));
            // a p-value drifts below its threshold, a distance at or above: both become "x times past it"
            double ratio = pValue ? Math.log10(Math.max(value, 1e-300)) / Math.log10(threshold) : value / threshold;
            if (pValue && value >= 1) {
                ratio = 0.1;
            }
            String note = pValue ? "p " + plain(t.get("p_value")) + " (drifts below " + plain(threshold) + ")"
                    : plain(t.get("statistic")) + " (drifts at " + plain(threshold) + ")";
            bars.add(new Charts.Bar(t.get("feature") + " \u00b7 " + t.get("test"), ratio,
                    Boolean.TRUE.equals(t.get("drifted")), note));
        }
        h.append("<div class=\"fig\">").append(Charts.thresholdBars("Each test against its threshold", bars, 900))
                .append("</div>");
        StringBuilder grid = new StringBuilder();
        for (Object o : tests) {
            Map<String, Object> t = map(o);
            Map<String, Object> d = map(t.get("distribution"));
            List<Object> bins = list(d.get("bins"));
            if (bins.isEmpty()) {
                continue;
            }
            boolean drifted = Boolean.TRUE.equals(t.get("drifted"));
            grid.append(Charts.pairedHistogram(String.valueOf(t.get("feature")), bins.stream().map(String::valueOf).toList(),
                    doubles(d.get("reference")), doubles(d.get("current")),
                    t.get("test") + ": " + (drifted ? "drifted" : "no drift"), drifted, 440, 210));
        }
        if (grid.length() > 0) {
            h.append("<h3>Reference and current distribution of each feature</h3><div class=\"grid\">").append(grid)
                    .append("</div>");
        }
    }

    private static double[] doubles(Object o) {
        return list(o).stream().mapToDouble(MonitorReport::dbl).toArray();
    }

    /** A number as the console prints it: 4 significant digits, scientific when tiny. */
    private static String plain(Object o) {
        double d = dbl(o);
        if (Double.isNaN(d)) {
            return "-";
        }
        return d != 0 && Math.abs(d) < 1e-3 ? String.format(Locale.ROOT, "%.2e", d) : String.format(Locale.ROOT, "%.4g", d);
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
        List<String> labels = new ArrayList<>();
        double[] observed = new double[series.size()];
        double[] estimated = new double[series.size()];
        for (int i = 0; i < series.size(); i++) {
            Map<String, Object> p = map(series.get(i));
            labels.add(num(p.get("labelled_total")).replace("&ndash;", "-"));
            observed[i] = dbl(p.get("accuracy"));
            estimated[i] = dbl(p.get("estimated_accuracy"));
        }
        h.append("<div class=\"fig\">").append(Charts.lines("Accuracy per window of labelled feedback", labels,
                "labelled predictions so far (each point: the window ending there)",
                List.of(new Charts.Series("observed (from labels)", Charts.PALETTE[0], observed),
                        new Charts.Series("estimated from confidence", Charts.PALETTE[1], estimated)),
                0, 1, y -> String.format(Locale.ROOT, "%.2f", y), 900, 260)).append("</div>");
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
