package dev.keel.monitors.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders the reports in a real headless Chromium and checks the screenshots: the figures must be drawn, in
 * their colours, by a browser that fetches nothing. Skips with a message where no Chromium is installed (CI has
 * none; Debian's is {@code apt-get install chromium}; {@code KEEL_CHROMIUM} names another binary). The pages and
 * screenshots stay in {@code target/report-screenshots/} to look at.
 */
class ReportInBrowserTest {
    static final Path OUT = Path.of("target", "report-screenshots");
    static Optional<Path> chromium;

    @BeforeAll
    static void findChromium() throws IOException {
        chromium = Stream.of(System.getenv("KEEL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                        "/usr/bin/google-chrome")
                .filter(p -> p != null && Files.isExecutable(Path.of(p))).map(Path::of).findFirst();
        Files.createDirectories(OUT);
    }

    @Test
    void the_drift_report_draws_each_feature_and_each_test_against_its_threshold() throws Exception {
        assumeTrue(chromium.isPresent(), "no Chromium found (apt-get install chromium, or set KEEL_CHROMIUM): "
                + "the report is not rendered in a browser here");
        List<String> reference = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            reference.add("a quiet film review number " + i + " that runs " + "on ".repeat(i % 7) + "calmly");
            current.add("A LOUD SHOUTED LINE " + i + "!!! " + "AND MORE ".repeat(i % 3));
        }
        Map<String, Object> report = MonitorReport.of(List.of(), TextDrift.compare(reference, current));
        BufferedImage shot = render(MonitorReport.html(report, "Drift in a browser"), "drift", 2400);

        assertThat(pixels(shot, Charts.REFERENCE)).as("reference bars drawn").isGreaterThan(500);
        assertThat(pixels(shot, Charts.CURRENT)).as("current bars drawn").isGreaterThan(500);
        assertThat(pixels(shot, Charts.BAD)).as("drifted tests drawn past their threshold").isGreaterThan(500);
    }

    @Test
    void the_monitor_report_draws_latency_percentiles_over_time_and_accuracy_per_window() throws Exception {
        assumeTrue(chromium.isPresent(), "no Chromium found (apt-get install chromium, or set KEEL_CHROMIUM): "
                + "the report is not rendered in a browser here");
        MonitorConfig config = MonitorConfig.of(Map.of("latency.interval_seconds", "10", "accuracy.bucket", "40"));
        Map<String, Object> report;
        try (MonitorHub hub = MonitorHub.builder().discover(config).alertInterval(Duration.ZERO).build()) {
            Instant start = Instant.parse("2026-01-01T12:00:00Z");
            for (int i = 0; i < 600; i++) {
                // latency climbs over twelve 10-second intervals; every fifth answer is wrong
                long nanos = (2 + i / 50) * 1_000_000L + (i % 10) * 300_000L;
                hub.onInference(Events.classifyAt("e" + i, start.plusMillis(i * 200L), "some text " + i,
                        i % 2 == 0 ? "1" : "0", 0.8, nanos));
                hub.feedback(Feedback.label("e" + i, i % 5 == 0 ? (i % 2 == 0 ? "0" : "1") : (i % 2 == 0 ? "1" : "0")));
            }
            hub.awaitIdle(Duration.ofSeconds(10));
            report = MonitorReport.of(hub);
        }
        String html = MonitorReport.html(report, "Monitoring in a browser");
        assertThat(html).contains("Latency percentiles over time", "Accuracy per window");
        BufferedImage shot = render(html, "monitor", 3300);

        assertThat(pixels(shot, Charts.PALETTE[0])).as("p50 and observed accuracy lines").isGreaterThan(300);
        assertThat(pixels(shot, Charts.PALETTE[1])).as("p95 and estimated accuracy lines").isGreaterThan(300);
        assertThat(pixels(shot, Charts.PALETTE[2])).as("p99 line").isGreaterThan(100);
    }

    /** Writes the page, screenshots it in headless Chromium with networking off, and reads the PNG back. */
    private static BufferedImage render(String html, String name, int height) throws Exception {
        Path page = OUT.resolve(name + ".html").toAbsolutePath();
        Path png = OUT.resolve(name + ".png").toAbsolutePath();
        AtomicFiles.writeString(page, html);
        Files.deleteIfExists(png);
        Path profile = Files.createTempDirectory("keel-chromium");
        try {
            Process p = new ProcessBuilder(chromium.orElseThrow().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1200," + height,
                    "--screenshot=" + png, page.toUri().toString())
                    .redirectErrorStream(true).redirectOutput(OUT.resolve(name + ".chromium.log").toFile()).start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("Chromium finished within 2 minutes").isTrue();
            assertThat(p.exitValue()).as("Chromium's exit status (log in " + OUT + ")").isZero();
        } finally {
            AtomicFiles.deleteTree(profile);
        }
        assertThat(png).as("the screenshot").exists();
        return ImageIO.read(png.toFile());
    }

    /** Pixels of exactly this colour (anti-aliased edges aside, a drawn mark is mostly its own colour). */
    private static int pixels(BufferedImage image, String hex) {
        int rgb = Integer.parseInt(hex.substring(1), 16);
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
