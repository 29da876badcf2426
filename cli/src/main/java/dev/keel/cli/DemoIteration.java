package dev.keel.cli;

import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.monitor.Feedback;
import dev.keel.iterate.ChampionFolders;
import dev.keel.iterate.ContinuousLearning;
import dev.keel.iterate.NewData;
import dev.keel.iterate.data.BundledData;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.RowFiles;
import dev.keel.iterate.shadow.RecentInputs;
import dev.keel.iterate.trigger.RoundScheduler;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.builtin.AccuracyMonitor;
import dev.keel.monitors.builtin.DataDriftMonitor;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Stage four of {@code keel demo}: the lifecycle's loop on the sentiment classifier of the earlier stages.
 * The classifier is registered as {@code champion} and served through the runtime from
 * {@code registry:sentiment@champion}, with monitors and an in-memory record of served inputs; a stream of
 * film reviews and then product and restaurant reviews comes in with user feedback; the accuracy (or drift)
 * alert triggers a round on the feedback; the challenger passes its gates and is promoted, and serving
 * switches to it; a second challenger trained without replay on a narrow slice is refused by the forgetting
 * gate; the registry's history is printed and written to {@code iteration.html}.
 */
final class DemoIteration {
    static final String NAME = "sentiment";
    /** Reviews per served call in the stream. */
    private static final int BATCH = 10;
    /**
     * The demo's forgetting policy: a challenger may lose at most 8 points on the film reviews. A linear head on
     * frozen features trades some film accuracy for the new domain (about 5 points here, part of it because the
     * champion was early-stopped on these very sentences); a careless retrain loses 12 or more.
     */
    private static final String FORGETTING = "forgetting<=0.08";

    private DemoIteration() { }

    /**
     * @param out        the demo's folder
     * @param classifier the stage's head classifier folder (the champion)
     * @param filmTrain  its training data (the replay pool)
     * @param filmDev    film reviews: the first part of the stream and the golden set
     */
    static Map<String, Object> run(Path out, Path classifier, Path filmTrain, Path filmDev, Console console, long seed)
            throws IOException {
        Path registryDir = out.resolve("registry");
        if (Files.exists(registryDir.resolve("keel.db"))) {
            AtomicFiles.deleteTree(registryDir); // the previous demo run's registry
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        // the bundled reviews are labelled 0/1; the classifier answers in its label names (negative, positive)
        List<String> names = ChampionFolders.labels(classifier);
        List<LabelledRow> reviews = LabelledRow.inLabelNames(RowFiles.read(BundledData.extract(BundledData.REVIEWS_NEW,
                out.resolve("data"))), names);
        List<LabelledRow> film = LabelledRow.inLabelNames(RowFiles.read(filmDev), names);
        MonitorConfig config = MonitorConfig.of(Map.of("accuracy.window", "100", "accuracy.alert_below", "0.75",
                "data_drift.reference_size", "100", "data_drift.current_size", "100", "data_drift.min_rows", "50"));
        RecentInputs served = new RecentInputs(2000);
        try (JdbcModelRegistry registry = JdbcModelRegistry.open(registryDir);
                MonitorHub hub = MonitorHub.builder().monitor(new AccuracyMonitor(config))
                        .monitor(new DataDriftMonitor(config)).alertInterval(Duration.ZERO).build()) {
            ModelVersion champion = registry.register(dev.keel.api.iterate.Registration.of(NAME, classifier)
                    .alias(ContinuousLearning.CHAMPION).reason("the demo's film-review classifier")
                    .actor("keel demo").build());
            console.say("   registered " + champion.ref() + " as champion");
            KeelRuntime runtime = KeelRuntime.builder().registry(registry).monitors(hub).listener(served).build();

            // the round's new data is what users said about the served reviews
            NewData feedback = NewData.of("labelled feedback on served inputs", () -> served.last(Integer.MAX_VALUE)
                    .stream().filter(c -> c.feedback() == Feedback.Kind.LABEL && !film.stream()
                            .anyMatch(f -> f.text().equals(c.text())))
                    .map(c -> LabelledRow.of(c.text(), c.feedbackValue())).toList());
            ContinuousLearning loop = ContinuousLearning.builder().runtime(runtime).registry(registry).name(NAME)
                    .newData(feedback).replayData(filmTrain).replayFraction(0.75).epochs(10).golden("film-dev", filmDev)
                    .gate("accuracy:min_abs_change=0.02").gate(FORGETTING)
                    .promotion(ContinuousLearning.Promotion.AUTO).workDir(out.resolve("work")).seed(seed)
                    .actor("keel demo").progress(line -> console.say("   " + line)).build();
            try (RoundScheduler scheduler = RoundScheduler.builder().loop(loop).onAlert("accuracy")
                    .onAlert(DataDriftMonitor.NAME).build();
                    InferenceSession serving = runtime.open(ModelRef.parse("registry:" + NAME + "@champion"))) {
                hub.addAlertListener(scheduler);
                double filmAccuracy = stream(serving, runtime, hub, served, film.subList(0, Math.min(150, film.size())));
                console.say(String.format(Locale.ROOT, "   served %d film reviews with feedback: accuracy %.3f",
                        Math.min(150, film.size()), filmAccuracy));
                List<LabelledRow> shifted = reviews.subList(0, 400);
                double shiftedAccuracy = stream(serving, runtime, hub, served, shifted);
                console.say(String.format(Locale.ROOT, "   the stream shifted to %d product and restaurant reviews: "
                        + "accuracy %.3f; alerts: %s", shifted.size(), shiftedAccuracy,
                        hub.alerts().stream().map(a -> a.monitor() + "/" + a.metric()).distinct().toList()));
                RoundResult round = waitForRound(scheduler);
                summary.put("round_trigger", round.trigger().source());
                summary.put("round_promoted", round.promoted());
                summary.put("round_challenger_version", round.challengerVersion());
                summary.put("round_coalesced_triggers", round.coalesced().size());
                summary.put("heldout_accuracy_before", round.metrics().get("heldout").get("champion").get("accuracy"));
                summary.put("heldout_accuracy_after", round.metrics().get("heldout").get("challenger").get("accuracy"));
                summary.put("film_accuracy_before", round.metrics().get("film-dev").get("champion").get("accuracy"));
                summary.put("film_accuracy_after", round.metrics().get("film-dev").get("challenger").get("accuracy"));
                List<LabelledRow> next = reviews.subList(400, 600);
                double after = stream(serving, null, null, served, next);
                double before;
                try (InferenceSession first = runtime.open(ModelRef.parse(champion.ref()))) {
                    before = stream(first, null, null, served, next);
                }
                console.say(String.format(Locale.ROOT, "   serving now answers from %s: accuracy %.3f on the next "
                        + "200 reviews (%s: %.3f)", "registry:" + NAME + "/" + registry.resolve(NAME, "champion")
                                .orElseThrow().version(), after, champion.ref(), before));
                summary.put("served_accuracy_before_promotion", before);
                summary.put("served_accuracy_after_promotion", after);
            }

            // a second challenger: no replay, a narrow slice (complaints about service, and three compliments),
            // trained hard: what a hurried retrain on this week's tickets would do
            List<LabelledRow> service = reviews.stream()
                    .filter(r -> r.text().toLowerCase(Locale.ROOT).matches(".*\\b(waiter|waitress|staff|server|service|"
                            + "table|menu|bartender|host|manager|delivery|driver|support|seller|refund)\\b.*")).toList();
            List<LabelledRow> narrow = new ArrayList<>(service.stream().filter(r -> r.label().equals(names.get(0)))
                    .toList());
            narrow.addAll(service.stream().filter(r -> r.label().equals(names.get(1))).limit(3).toList());
            console.say("   a second round: " + narrow.size() + " service reviews, mostly complaints, no replay");
            RoundResult refused = ContinuousLearning.builder().runtime(runtime).registry(registry).name(NAME)
                    .newData(NewData.of("a narrow slice: service complaints", () -> narrow)).replayFraction(0)
                    .golden("film-dev", filmDev).gate(FORGETTING).epochs(100).learningRate(1e-2)
                    .promotion(ContinuousLearning.Promotion.AUTO).workDir(out.resolve("work")).seed(seed)
                    .actor("keel demo").progress(line -> console.say("   " + line)).build()
                    .run(Trigger.manual("keel demo"));
            summary.put("second_round_decision", refused.decision().name().toLowerCase(Locale.ROOT));
            summary.put("second_round_failed_gates", refused.gates().failures().stream().map(GateResult::name).toList());

            String history = history(registry, console);
            Path report = out.resolve("iteration.html");
            AtomicFiles.writeString(report, html(history, round(registry)));
            summary.put("registry", registryDir.toString());
            summary.put("iteration_report", report.toString());
        }
        return summary;
    }

    /** Serves {@code rows} in batches and gives each answer its true label as feedback; the accuracy served. */
    private static double stream(InferenceSession serving, KeelRuntime runtime, MonitorHub hub, RecentInputs served,
            List<LabelledRow> rows) {
        int right = 0;
        for (int start = 0; start < rows.size(); start += BATCH) {
            List<LabelledRow> batch = rows.subList(start, Math.min(rows.size(), start + BATCH));
            ClassificationResult r = serving.classify(batch.stream().map(LabelledRow::text).toList());
            for (int i = 0; i < batch.size(); i++) {
                right += r.predictions().get(i).label().equals(batch.get(i).label()) ? 1 : 0;
                if (runtime != null) {
                    Feedback f = Feedback.label(r.inferenceId() + "#" + i, batch.get(i).label());
                    runtime.feedback(f);
                    served.onFeedback(f);
                }
            }
        }
        if (hub != null) {
            // alerts are checked once the phase is served, so the round sees all of its feedback
            hub.awaitIdle(Duration.ofSeconds(30));
            hub.checkAlerts();
        }
        return (double) right / rows.size();
    }

    private static RoundResult waitForRound(RoundScheduler scheduler) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
        while (scheduler.history().isEmpty() && System.nanoTime() < deadline) {
            if (scheduler.lastError() != null) {
                throw new KeelException("the demo's round failed: " + scheduler.lastError());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeelException("interrupted while the round ran", e);
            }
        }
        if (scheduler.history().isEmpty()) {
            throw new KeelException("no alert started a round: the stream's accuracy never fell below the alert");
        }
        return scheduler.history().get(0);
    }

    private static String history(JdbcModelRegistry registry, Console console) {
        StringBuilder sb = new StringBuilder();
        for (ModelVersion v : registry.versions(NAME)) {
            String line = String.format(Locale.ROOT, "%s  parent %s  %s  %s", v.ref(),
                    v.parent() == null ? "-" : v.parent(), v.tags().getOrDefault("round.decision", "registered"),
                    v.reason() == null ? "" : v.reason());
            console.say("   " + line);
            sb.append(line).append('\n');
        }
        for (AliasChange c : registry.aliasHistory(NAME, ContinuousLearning.CHAMPION)) {
            String line = String.format(Locale.ROOT, "champion %s: %s -> %s (%s, %s)",
                    c.action().name().toLowerCase(Locale.ROOT), c.previous() == null ? "-" : c.previous(),
                    c.version() == null ? "-" : c.version(), c.reason(), c.actor());
            console.say("   " + line);
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    private static List<String> round(JdbcModelRegistry registry) {
        List<String> cards = new ArrayList<>();
        for (ModelVersion v : registry.versions(NAME)) {
            cards.add(v.ref() + "\n\n" + v.modelCard());
        }
        return cards;
    }

    private static String html(String history, List<String> cards) {
        StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Keel demo: "
                + "iteration</title><style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
                + "pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}</style></head><body>");
        sb.append("<h1>Stage four: the registry's history</h1><pre>").append(escape(history)).append("</pre>");
        for (String card : cards) {
            sb.append("<h2>").append(escape(card.substring(0, card.indexOf('\n')))).append("</h2><pre>")
                    .append(escape(card.substring(card.indexOf('\n') + 2))).append("</pre>");
        }
        return sb.append("</body></html>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
