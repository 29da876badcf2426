package dev.keel.monitors.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * The report's figures as inline SVG: plain elements, sizes in pixels, text in the page's font, no scripts
 * and nothing fetched, so a report reads the same offline, in a mail attachment or in a CI artifact. Each
 * chart has a title, labelled axes and a legend where it draws more than one thing; hovering a mark shows
 * its exact value (SVG {@code <title>}).
 */
final class Charts {
    static final String REFERENCE = "#9aa3ad";
    static final String CURRENT = "#3b6fb6";
    static final String BAD = "#b00020";
    static final String GOOD = "#0a7a2f";
    static final String[] PALETTE = {"#3b6fb6", "#e08a1e", "#b00020", "#0a7a2f", "#7b4fa8"};
    private static final int LEFT = 56;
    private static final int RIGHT = 16;
    private static final int TOP = 28;
    private static final int BOTTOM = 46;

    private Charts() { }

    /** One line of a line chart: a name for the legend, a colour, and a y value per x position (NaN: gap). */
    record Series(String name, String colour, double[] values) { }

    /**
     * A line chart over evenly spaced x positions. {@code xLabels} names each position (a few are printed
     * under the axis); {@code yMin}/{@code yMax} NaN fit the data, starting at 0 for non-negative data.
     */
    static String lines(String title, List<String> xLabels, String xAxis, List<Series> series, double yMin, double yMax,
            DoubleFunction<String> yFormat, int width, int height) {
        double lo = yMin;
        double hi = yMax;
        if (Double.isNaN(lo) || Double.isNaN(hi)) {
            double dataMin = Double.POSITIVE_INFINITY;
            double dataMax = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (double v : s.values()) {
                    if (Double.isFinite(v)) {
                        dataMin = Math.min(dataMin, v);
                        dataMax = Math.max(dataMax, v);
                    }
                }
            }
            if (dataMin > dataMax) {
                dataMin = 0;
                dataMax = 1;
            }
            lo = Double.isNaN(lo) ? (dataMin >= 0 ? 0 : dataMin) : lo;
            hi = Double.isNaN(hi) ? niceCeiling(dataMax) : hi;
            if (!(hi > lo)) {
                hi = lo + 1;
            }
        }
        int n = xLabels.size();
        StringBuilder svg = open(width, height, title);
        double plotW = width - LEFT - RIGHT;
        double plotH = height - TOP - BOTTOM;
        yAxis(svg, lo, hi, yFormat, width, height);
        int every = Math.max(1, (int) Math.ceil(n / 8.0));
        for (int i = 0; i < n; i += every) {
            double x = LEFT + (n == 1 ? plotW / 2 : i * plotW / (n - 1));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
                    + "fill=\"#555\">%s</text>", x, height - BOTTOM + 14, esc(xLabels.get(i))));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                + "fill=\"#555\">%s</text>", LEFT + plotW / 2, height - 8, esc(xAxis)));
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (int i = 0; i < n && i < s.values().length; i++) {
                double v = s.values()[i];
                if (!Double.isFinite(v)) {
                    continue;
                }
                double x = LEFT + (n == 1 ? plotW / 2 : i * plotW / (n - 1));
                double y = TOP + (1 - (clamp(v, lo, hi) - lo) / (hi - lo)) * plotH;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s "
                        + "at %s: %s</title></circle>", x, y, s.colour(), esc(s.name()), esc(xLabels.get(i)), yFormat.apply(v)));
            }
            svg.append("<polyline fill=\"none\" stroke=\"").append(s.colour()).append("\" stroke-width=\"2\" points=\"")
                    .append(pts).append("\"/>").append(dots);
        }
        legend(svg, series.stream().map(s -> new String[] {s.name(), s.colour()}).toList(), width);
        return svg.append("</svg>").toString();
    }

    /** One row of a threshold chart: a name, how far the value is past its threshold (1 = at it), a note. */
    record Bar(String name, double ratio, boolean bad, String note) { }

    /**
     * Horizontal bars of each value relative to its own threshold, with the threshold drawn as one vertical
     * line: rows that cross it drifted. Ratios are drawn on a log scale from 1/10 to 100 of the threshold.
     */
    static String thresholdBars(String title, List<Bar> bars, int width) {
        int row = 22;
        int labelW = 250;
        int height = TOP + bars.size() * row + BOTTOM - 6;
        StringBuilder svg = open(width, height, title);
        double plotW = width - labelW - 230;
        double lo = Math.log10(0.1);
        double hi = Math.log10(100);
        DoubleFunction<Double> x = r -> labelW + (Math.log10(clamp(r, 0.1, 100)) - lo) / (hi - lo) * plotW;
        for (double tick : new double[] {0.1, 1, 10, 100}) {
            double tx = x.apply(tick);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"%s/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">%s</text>",
                    tx, TOP - 4, tx, height - BOTTOM + 6, tick == 1 ? "#222" : "#e0e0e0",
                    tick == 1 ? " stroke-width=\"1.5\" stroke-dasharray=\"4 3\"" : "", tx, height - BOTTOM + 18,
                    tick == 1 ? "threshold" : (tick < 1 ? "1/10" : "x" + (int) tick)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                + "fill=\"#555\">how far past its threshold (log scale; right of the dashed line: drifted)</text>",
                labelW + plotW / 2, height - 8));
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double y = TOP + i * row;
            double x0 = x.apply(0.1);
            double x1 = x.apply(Double.isFinite(b.ratio()) ? b.ratio() : 100);
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s</text>",
                    labelW - 8, y + 14, esc(b.name())));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"%s\">"
                    + "<title>%s: %s</title></rect>", x0, y + 3, Math.max(1, x1 - x0), b.bad() ? BAD : GOOD,
                    esc(b.name()), esc(b.note())));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">%s</text>",
                    labelW + plotW + 8, y + 14, esc(b.note())));
        }
        return svg.append("</svg>").toString();
    }

    /** Reference and current shares per bin, side by side: how one feature's distribution moved. */
    static String pairedHistogram(String title, List<String> bins, double[] reference, double[] current, String verdict,
            boolean bad, int width, int height) {
        StringBuilder svg = open(width, height, title);
        double max = 0;
        for (int i = 0; i < bins.size(); i++) {
            max = Math.max(max, Math.max(reference[i], current[i]));
        }
        double hi = niceCeiling(Math.max(max, 1e-9));
        yAxis(svg, 0, hi, v -> percent(v), width, height);
        double plotW = width - LEFT - RIGHT;
        double plotH = height - TOP - BOTTOM;
        double slot = plotW / bins.size();
        double bar = Math.max(1, slot / 2 - 1);
        int every = Math.max(1, (int) Math.ceil(bins.size() / 6.0));
        for (int i = 0; i < bins.size(); i++) {
            double x = LEFT + i * slot;
            double rh = reference[i] / hi * plotH;
            double ch = current[i] / hi * plotH;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>%s, reference: %.1f%%</title></rect>", x + 1, TOP + plotH - rh, bar, rh, REFERENCE,
                    esc(bins.get(i)), reference[i] * 100));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>%s, current: %.1f%%</title></rect>", x + 1 + bar, TOP + plotH - ch, bar, ch, CURRENT,
                    esc(bins.get(i)), current[i] * 100));
            if (i % every == 0) {
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#555\">%s</text>",
                        x + 1, TOP + plotH + 13, esc(shorten(bins.get(i), 10))));
            }
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>",
                LEFT, height - 8, bad ? BAD : GOOD, esc(verdict)));
        legend(svg, List.of(new String[] {"reference", REFERENCE}, new String[] {"current", CURRENT}), width);
        return svg.append("</svg>").toString();
    }

    private static StringBuilder open(int width, int height, String title) {
        StringBuilder svg = new StringBuilder(4096);
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", width, height, width, height, esc(title)));
        svg.append("<title>").append(esc(title)).append("</title>");
        svg.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"17\" font-size=\"13\" font-weight=\"600\">%s</text>",
                esc(title)));
        return svg;
    }

    private static void yAxis(StringBuilder svg, double lo, double hi, DoubleFunction<String> format, int width, int height) {
        double plotH = height - TOP - BOTTOM;
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            double y = TOP + (1 - k / 4.0) * plotH;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">%s</text>",
                    LEFT, y, width - RIGHT, y, k == 0 ? "#999" : "#e6e6e6", LEFT - 4, y + 3, esc(format.apply(v))));
        }
    }

    private static void legend(StringBuilder svg, List<String[]> entries, int width) {
        if (entries.size() < 2) {
            return;
        }
        double x = width - RIGHT;
        List<String> parts = new ArrayList<>();
        for (int i = entries.size() - 1; i >= 0; i--) {
            String[] e = entries.get(i);
            double w = 18 + e[0].length() * 6.5;
            x -= w;
            parts.add(0, String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"17\" font-size=\"11\">%s</text>", x, e[1], x + 13, esc(e[0])));
        }
        parts.forEach(svg::append);
    }

    /**
     * The smallest of 1, 2, 4, 6, 8 times a power of ten at or above {@code v}: the axis is cut in quarters,
     * and a quarter of these reads plainly (25%, 5%, 10%, 1.5, 2).
     */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 4, 6, 8, 10}) {
            if (m * p >= v * (1 - 1e-12)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** A share as a percentage with as many digits as it needs: 25%, 12.5%, 0.5%. */
    static String percent(double share) {
        return new java.math.BigDecimal(share * 100).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString() + "%";
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }

    private static String esc(String s) {
        return MonitorReport.esc(s);
    }
}
