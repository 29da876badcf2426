package dev.keel.iterate;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.CapturedInputs;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateReport;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.IterationLoop;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import dev.keel.iterate.data.CounterfactualAugmentation;
import dev.keel.iterate.data.DataChecks;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.Replay;
import dev.keel.iterate.data.Reweighing;
import dev.keel.iterate.data.RowFiles;
import dev.keel.iterate.data.StratifiedSplit;
import dev.keel.iterate.data.TermPairs;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.iterate.gate.Evaluations;
import dev.keel.iterate.gate.Gate;
import dev.keel.iterate.gate.GateMetric;
import dev.keel.iterate.gate.Gates;
import dev.keel.iterate.gate.MetricThreshold;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The continuous-learning loop over a model registry. One round:
 * <ol>
 *   <li>resolves the {@value #CHAMPION} alias and opens its version (files verified);</li>
 *   <li>reads the new labelled data, splits it (seeded, stratified) into training and held-out parts, samples
 *       a replay of the data that made the champion (kept in the champion's folder by the round that made it,
 *       or given as a file checked against the champion's lineage), adds counterfactual copies and reweighing
 *       weights when asked, and refuses bad data before any training ({@link DataChecks});</li>
 *   <li>trains a challenger from the champion (its head, adapter or weights) with the champion's method unless
 *       told otherwise, through a {@link ChallengerTrainer};</li>
 *   <li>measures champion and challenger on every evaluation set and evaluates every gate, reporting every
 *       failure ({@link Gates});</li>
 *   <li>always registers the challenger, with its gate report and data lineage in the folder
 *       ({@value #ROUND_FILE}, {@code data/}), its figures as metrics and the {@value #CHALLENGER} alias;</li>
 *   <li>moves {@value #CHAMPION} to it only when every gate passed and promotion is automatic; otherwise serving
 *       is untouched (an approved challenger is promoted with {@code keel registry alias}).</li>
 * </ol>
 * Rounds of one loop run one at a time (a {@link dev.keel.iterate.trigger.RoundScheduler} starts them).
 */
public final class ContinuousLearning implements IterationLoop {
    public static final String CHAMPION = "champion";
    public static final String CHALLENGER = "challenger";
    /** The round record inside a challenger's folder: trigger, plan, data lineage, metrics and gates. */
    public static final String ROUND_FILE = "keel-round.json";
    /** Where a challenger's folder keeps the rows it was trained and judged on. */
    public static final String DATA_DIR = "keel-data";
    public static final String TRAIN_FILE = "train.jsonl";
    public static final String HELDOUT_FILE = "heldout.jsonl";

    /** Whether a challenger that passes every gate is promoted by the round or waits for a person. */
    public enum Promotion { AUTO, MANUAL }

    private final Settings s;
    private final Object roundLock = new Object();

    private ContinuousLearning(Settings settings) {
        this.s = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public RoundResult run(Trigger trigger) {
        synchronized (roundLock) {
            return round(trigger, false);
        }
    }

    @Override
    public RoundResult plan(Trigger trigger) {
        synchronized (roundLock) {
            return round(trigger, true);
        }
    }

    /** Moves the champion back to its previous holder (one step of the alias history). */
    public AliasChange rollback(String reason) {
        return s.registry.rollback(s.name, CHAMPION, reason, s.actor);
    }

    private RoundResult round(Trigger trigger, boolean dryRun) {
        long started = System.nanoTime();
        Gates.validate(s.gates, List.copyOf(s.golden.keySet()), s.servingBackends, s.biasProbes != null,
                s.shadow != null);
        Optional<ModelVersion> champion = s.registry.resolve(s.name, CHAMPION);
        Path championDir = champion.map(v -> s.registry.open(v.name(), v.version())).orElse(null);
        if (champion.isEmpty() && s.base == null) {
            throw new InvalidInputException("'" + s.name + "' has no " + CHAMPION + " alias in the registry at "
                    + s.registry.location() + ", so there is nothing to start from; register a model and set the "
                    + "alias (keel registry register --name " + s.name + " --model DIR --alias " + CHAMPION
                    + "), or give a base model for a first round");
        }
        AdaptationTask task = championDir == null ? AdaptationTask.CLASSIFY : ChampionFolders.task(championDir);
        say("round for " + s.name + " (" + trigger.kind().name().toLowerCase(Locale.ROOT) + " " + trigger.source()
                + "): champion " + champion.map(ModelVersion::ref).orElse("none")
                + (task == AdaptationTask.CLASSIFY ? "" : " (gpt2 " + LanguageModelRound.name(task) + ")"));
        if (task == AdaptationTask.CLASSIFY) {
            refuseLanguageModelGates();
        } else {
            LanguageModelRound.validate(s, task, championDir);
        }

        // data
        Path roundDir = newRoundDir();
        Path trainFile;
        Path heldoutFile;
        Map<String, Object> lineageOfData;
        TrainingPlan plan;
        List<Gate> gates;
        java.util.function.Function<Path, RoundEvaluation.Measured> measure;
        try {
            if (task == AdaptationTask.CLASSIFY) {
                RoundData data = prepareData(champion.orElse(null), championDir);
                trainFile = RowFiles.write(roundDir.resolve(TRAIN_FILE), data.train);
                heldoutFile = RowFiles.write(roundDir.resolve(HELDOUT_FILE), data.split.heldout());
                data.lineage.put("train", Map.of("rows", data.train.size(), "sha256", RowFiles.sha256(trainFile),
                        "file", DATA_DIR + "/" + TRAIN_FILE));
                data.lineage.put("heldout", Map.of("rows", data.split.heldout().size(), "sha256",
                        RowFiles.sha256(heldoutFile), "file", DATA_DIR + "/" + HELDOUT_FILE));
                lineageOfData = data.lineage;
                plan = plan(champion.orElse(null), championDir, trainFile, roundDir.resolve("challenger"));
                gates = effectiveGates(s.gates);
                RoundEvaluation.Inputs inputs = new RoundEvaluation.Inputs(data.split.heldout(), data.golden,
                        s.biasProbes, s.positiveLabels, data.shadow, s.servingBackends, servingRequests(data));
                measure = challengerDir -> RoundEvaluation.measure(s.runtime, championDir, challengerDir, inputs,
                        this::say);
            } else {
                LanguageModelRound.Prepared data = LanguageModelRound.prepare(s, task, champion.orElseThrow(),
                        championDir, roundDir, this::say);
                trainFile = data.train();
                heldoutFile = data.heldout();
                lineageOfData = data.lineage();
                plan = LanguageModelRound.plan(s, task, championDir, data, roundDir.resolve("challenger"));
                gates = effectiveGates(LanguageModelRound.gates(s.gates));
                measure = challengerDir -> LanguageModelRound.measure(s.runtime, task, championDir, challengerDir,
                        data, s.servingBackends, this::say);
            }
        } catch (RuntimeException e) {
            deleteQuietly(roundDir);
            throw e;
        }
        if (dryRun) {
            Map<String, Object> lineage = new LinkedHashMap<>(lineageOfData);
            lineage.put("plan", plan.toMap());
            lineage.put("gates_planned", gates.stream().map(Gate::expression).toList());
            say("dry run: would train " + plan.toMap() + " on " + trainFile.getFileName() + " and check "
                    + gates.size() + " gates; nothing was trained or registered");
            deleteQuietly(roundDir);
            return new RoundResult(s.name, trigger, champion.map(ModelVersion::version).orElse(null), null,
                    RoundResult.Decision.DRY_RUN, null, null, lineage, null, seconds(started));
        }

        // training
        say("training the challenger: " + plan.method().name().toLowerCase(Locale.ROOT) + " "
                + LanguageModelRound.name(plan.task()) + " on " + trainFile.getFileName()
                + (plan.warmStart() != null ? ", starting from the champion" : ""));
        TrainingResult trained = s.trainer.train(plan, event -> {
            if (event instanceof TrainingEvent.Evaluation e && s.progress != null) {
                say(String.format(Locale.ROOT, "  step %d: train loss %.4f", e.step(), e.trainLoss()));
            }
        });
        Path challengerDir = trained.output();
        copyData(trainFile, heldoutFile, challengerDir);

        // evaluation and gates
        RoundEvaluation.Measured measured = measure.apply(challengerDir);
        Evaluations evaluations = measured.evaluations();
        measured.notes().forEach((set, why) -> say("  " + set + ": " + why));
        GateReport report = Gates.evaluate(gates, evaluations);
        for (GateResult r : report.results()) {
            say(String.format(Locale.ROOT, "  %s %-6s %s: %s", r.passed() ? "PASS" : "FAIL",
                    r.kind().name().toLowerCase(Locale.ROOT), r.name(), r.detail()));
        }

        // record and register, always
        boolean passed = report.passed();
        RoundResult.Decision decision = !passed ? RoundResult.Decision.REFUSED
                : s.promotion == Promotion.AUTO ? RoundResult.Decision.PROMOTED : RoundResult.Decision.AWAITING_APPROVAL;
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("trigger", RoundResult.triggerMap(trigger));
        record.put("champion", champion.map(ModelVersion::ref).orElse(null));
        record.put("plan", plan.toMap());
        record.put("data", lineageOfData);
        record.put("metrics", evaluations.byRole());
        record.put("gates", report.results().stream().map(GateResult::toMap).toList());
        record.put("gates_passed", passed);
        record.put("serving_errors", measured.notes());
        record.put("decision", decision.name().toLowerCase(Locale.ROOT));
        record.put("finished", Instant.now().toString());
        AtomicFiles.writeString(challengerDir.resolve(ROUND_FILE), Json.pretty(record) + "\n");
        ModelVersion registered = s.registry.register(Registration.of(s.name, challengerDir)
                .parent(champion.map(ModelVersion::version).orElse(null))
                .metrics(flatten(evaluations.challenger()))
                .tag("round.trigger", trigger.kind().name().toLowerCase(Locale.ROOT) + ":" + trigger.source())
                .tag("round.gates", passed ? "passed" : "failed (" + report.failures().size() + ")")
                .tag("round.decision", decision.name().toLowerCase(Locale.ROOT))
                .tag("data.new_sha256", String.valueOf(lineageOfData.getOrDefault("new_sha256", "")))
                .alias(CHALLENGER)
                .reason("continuous-learning round (" + trigger.kind().name().toLowerCase(Locale.ROOT) + " "
                        + trigger.source() + "): gates " + (passed ? "passed" : "failed: " + failureNames(report)))
                .actor(s.actor).build());
        s.registry.updateModelCard(s.name, registered.version(), registered.modelCard() + "\n"
                + RoundReport.markdown(trigger, champion.orElse(null), plan, lineageOfData, report, evaluations), s.actor);
        say("registered " + registered.ref() + " (alias " + CHALLENGER + ")");
        if (decision == RoundResult.Decision.PROMOTED) {
            String kind = trigger.kind().name().toLowerCase(Locale.ROOT);
            s.registry.setAlias(s.name, CHAMPION, registered.version(), "every gate passed in "
                    + ("aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind + " round", s.actor);
            say("promoted " + registered.ref() + " to " + CHAMPION);
        } else if (decision == RoundResult.Decision.AWAITING_APPROVAL) {
            say("every gate passed; promote with: keel registry alias --name " + s.name + " --alias " + CHAMPION
                    + " --version " + registered.version());
        } else {
            say("refused: " + report.failures().size() + " gate check(s) failed; " + CHAMPION + " is unchanged");
        }
        deleteQuietly(roundDir);
        return new RoundResult(s.name, trigger, champion.map(ModelVersion::version).orElse(null),
                registered.version(), decision, report, evaluations.byRole(), lineageOfData, null, seconds(started));
    }

    /** Rows of a round and what its lineage says about them. */
    private static final class RoundData {
        StratifiedSplit.Result split;
        List<LabelledRow> train;
        Map<String, List<LabelledRow>> golden = new LinkedHashMap<>();
        List<dev.keel.api.iterate.CapturedInput> shadow;
        final Map<String, Object> lineage = new LinkedHashMap<>();
    }

    private RoundData prepareData(ModelVersion champion, Path championDir) {
        RoundData d = new RoundData();
        // data labelled with class ids reads against a champion whose labels are names, as keel adapt reads it
        List<String> championLabels = championDir == null ? null : ChampionFolders.labels(championDir);
        List<LabelledRow> fresh = LabelledRow.inLabelNames(s.newData.rows(), championLabels);
        d.split = StratifiedSplit.split(fresh, s.heldoutFraction, s.seed);
        recordNewData(d.lineage, s.newData);
        d.lineage.put("new_rows", fresh.size());
        d.lineage.put("new_train_rows", d.split.train().size());
        d.lineage.put("heldout_fraction", s.heldoutFraction);

        List<LabelledRow> replay = List.of();
        if (s.replayFraction > 0 && champion != null) {
            Replayed pool = replayPool(champion, championDir);
            replay = Replay.sample(LabelledRow.inLabelNames(pool.rows, championLabels), d.split.train().size(),
                    s.replayFraction, s.seed);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("source", pool.source);
            r.put("sha256", pool.sha256);
            r.put("verified", pool.verified);
            r.put("pool_rows", pool.rows.size());
            r.put("rows", replay.size());
            r.put("fraction", s.replayFraction);
            d.lineage.put("replay", r);
        } else {
            d.lineage.put("replay", Map.of("rows", 0, "fraction", s.replayFraction));
        }

        s.golden.forEach((name, file) -> d.golden.put(name, LabelledRow.inLabelNames(RowFiles.read(file),
                championLabels)));
        d.shadow = s.shadow == null ? null : s.shadow.last(s.shadowInputs);
        Map<String, List<String>> evaluated = new LinkedHashMap<>();
        d.golden.forEach((name, rows) -> evaluated.put(name, rows.stream().map(LabelledRow::text).toList()));
        if (s.biasProbes != null) {
            evaluated.put(GateMetric.BIAS, s.biasProbes.sentences());
        }
        if (d.shadow != null) {
            evaluated.put(GateMetric.SHADOW, d.shadow.stream().map(dev.keel.api.iterate.CapturedInput::text).toList());
        }

        List<LabelledRow> augmented = List.of();
        if (s.counterfactuals != null) {
            List<LabelledRow> base = new ArrayList<>(d.split.train());
            base.addAll(replay);
            augmented = CounterfactualAugmentation.copies(base, s.counterfactuals);
        }
        DataChecks.Outcome checked = DataChecks.run(fresh, d.split, replay, augmented, evaluated, championLabels,
                Gates.any(s.gates, GateKind.QUALITY), s.leakage);
        List<LabelledRow> train = checked.train();
        d.lineage.put("augmented_rows", train.stream().filter(LabelledRow::augmented).count());
        if (s.counterfactuals != null) {
            d.lineage.put("augmentation", Map.of("method", "counterfactual (term pairs)", "groups",
                    s.counterfactuals.groupA() + "/" + s.counterfactuals.groupB(), "pairs", s.counterfactuals.pairs().size()));
        }
        if (s.reweighing != null) {
            Reweighing.Result w = Reweighing.apply(train, BiasMonitor.termGroups(s.reweighing.groupSpec()));
            train = w.rows();
            d.lineage.put("reweighing", Map.of("weights", w.weights(), "counts", w.counts()));
        }
        d.train = train;
        d.lineage.put("findings", checked.findings().stream().map(DataChecks.Finding::toMap).toList());
        checked.findings().forEach(f -> say("  data " + f.level().name().toLowerCase(Locale.ROOT) + ": " + f.message()));
        return d;
    }

    private record Replayed(List<LabelledRow> rows, String source, String sha256, boolean verified) { }

    /**
     * The data that made the champion: the rows its round kept in its folder, else the replay file given,
     * checked against the training-data fingerprint in the champion's lineage.
     */
    private Replayed replayPool(ModelVersion champion, Path championDir) {
        Path kept = championDir.resolve(DATA_DIR).resolve(TRAIN_FILE);
        if (Files.isRegularFile(kept)) {
            return new Replayed(RowFiles.read(kept), champion.ref() + " " + DATA_DIR + "/" + TRAIN_FILE,
                    RowFiles.sha256(kept), true);
        }
        String recorded = champion.lineage().data().get("train");
        if (s.replayData == null) {
            throw new InvalidInputException("replay needs the data that made the champion " + champion.ref()
                    + ", which was not trained by a round and does not keep it"
                    + (recorded == null ? "" : " (its lineage names training data sha-256 " + recorded + ")")
                    + "; pass that file (--replay-data FILE) or turn replay off (--replay-fraction 0)");
        }
        String sha = RowFiles.sha256(s.replayData);
        if (recorded != null && !recorded.equals(sha)) {
            throw new InvalidInputException("replay file " + s.replayData + " (sha-256 " + sha + ") is not the data "
                    + "the champion " + champion.ref() + " was trained on (its lineage says " + recorded + "); pass "
                    + "that file, or turn replay off (--replay-fraction 0)");
        }
        return new Replayed(RowFiles.read(s.replayData), s.replayData.toAbsolutePath().normalize().toString(), sha,
                recorded != null);
    }

    private TrainingPlan plan(ModelVersion champion, Path championDir, Path trainFile, Path out) {
        AdaptationMethod championMethod = championDir == null ? null : ChampionFolders.method(championDir);
        AdaptationMethod method = s.method != null ? s.method
                : championMethod != null ? championMethod : AdaptationMethod.HEAD;
        boolean warm = championDir != null && method == championMethod && s.warmStart && s.trainer.supportsWarmStart();
        ModelRef base;
        if (championDir == null) {
            base = s.base;
        } else if (championMethod == AdaptationMethod.FULL) {
            // a full champion is itself the base of whatever comes next
            base = ModelRef.of(championDir);
        } else {
            base = AdaptedModels.base(championDir);
        }
        int maxLength = championDir == null ? s.maxLength : ChampionFolders.maxLength(championDir, s.maxLength);
        LoraConfig lora = championDir != null && championMethod == AdaptationMethod.LORA
                ? ChampionFolders.lora(championDir) : s.lora;
        int headHidden = championDir != null && championMethod == AdaptationMethod.HEAD
                ? ChampionFolders.headHidden(championDir) : 0;
        int epochs = s.epochs != null ? s.epochs : switch (method) {
            case HEAD -> 20;
            case LORA -> 3;
            case FULL -> 2;
        };
        double lr = s.learningRate != null ? s.learningRate : switch (method) {
            case HEAD, LORA -> 1e-3;
            case FULL -> 5e-5;
        };
        return new TrainingPlan(method, base, warm ? championDir : null, trainFile, out, epochs, lr, s.batchSize,
                maxLength, lora, headHidden, s.seed);
    }

    /**
     * What a round's lineage says of its new data: the source ({@code new}) and its sha-256 ({@code new_sha256},
     * also a registry tag). Described once, since describing a file hashes it.
     */
    static void recordNewData(Map<String, Object> lineage, NewData data) {
        Map<String, Object> describe = new LinkedHashMap<>(data.describe());
        lineage.put("new", describe);
        lineage.put("new_sha256", describe.get("sha256"));
    }

    /** Refuses gates on a language model's metrics in a classifier's round, before anything is read. */
    private void refuseLanguageModelGates() {
        for (Gate g : s.gates) {
            if (g.metric().equals(GateMetric.PERPLEXITY)) {
                throw new InvalidInputException("gate '" + g.expression() + "' measures a language model's perplexity, "
                        + "but the champion of '" + s.name + "' is a classifier; gate on accuracy, macro_f1, loss or ece");
            }
        }
    }

    /** The configured gates plus the serving gate's defaults when serving backends are configured. */
    private List<Gate> effectiveGates(List<Gate> configured) {
        List<Gate> gates = new ArrayList<>(configured);
        if (!s.servingBackends.isEmpty()) {
            if (gates.stream().noneMatch(g -> g.metric().equals("answers"))) {
                gates.add(new Gate("answers>=1", GateKind.SERVING, "answers", null, MetricThreshold.atLeast(1.0)));
            }
            if (gates.stream().noneMatch(g -> g.metric().equals("latency_ratio"))) {
                gates.add(new Gate("latency_ratio<=" + s.latencyFactor, GateKind.SERVING, "latency_ratio", null,
                        MetricThreshold.atMost(s.latencyFactor)));
            }
        }
        return gates;
    }

    private List<String> servingRequests(RoundData d) {
        List<String> texts = new ArrayList<>();
        d.golden.values().forEach(rows -> rows.forEach(r -> texts.add(r.text())));
        d.split.heldout().forEach(r -> texts.add(r.text()));
        return texts.subList(0, Math.min(s.servingRequests, texts.size()));
    }

    private static void copyData(Path train, Path heldout, Path challengerDir) {
        try {
            Path dir = Files.createDirectories(challengerDir.resolve(DATA_DIR));
            AtomicFiles.writeString(dir.resolve(train.getFileName().toString()), Files.readString(train));
            AtomicFiles.writeString(dir.resolve(heldout.getFileName().toString()), Files.readString(heldout));
        } catch (IOException e) {
            throw new KeelException("cannot keep the round's data in " + challengerDir + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Double> flatten(Map<String, Map<String, Double>> bySet) {
        Map<String, Double> out = new LinkedHashMap<>();
        bySet.forEach((set, values) -> values.forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) {
                out.put(set + "." + k, v);
            }
        }));
        return out;
    }

    private static String failureNames(GateReport report) {
        return String.join("; ", report.failures().stream().map(GateResult::name).toList());
    }

    private Path newRoundDir() {
        try {
            Files.createDirectories(s.workDir);
            return Files.createTempDirectory(s.workDir, "round-");
        } catch (IOException e) {
            throw new KeelException("cannot create a round folder under " + s.workDir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            // a leftover temporary folder is harmless; the registry holds everything that matters
        }
    }

    private static double seconds(long started) {
        return (System.nanoTime() - started) / 1e9;
    }

    private void say(String line) {
        if (s.progress != null) {
            s.progress.accept(line);
        }
    }

    /** Everything a loop is configured with; immutable once built. */
    record Settings(KeelRuntime runtime, ModelRegistry registry, String name, NewData newData,
            double heldoutFraction, double replayFraction, Path replayData, Map<String, Path> golden, List<Gate> gates,
            AdaptationMethod method, ModelRef base, boolean warmStart, Integer epochs, Double learningRate,
            int batchSize, int maxLength, LoraConfig lora, List<String> servingBackends, int servingRequests,
            double latencyFactor, BiasProbes biasProbes, List<String> positiveLabels, CapturedInputs shadow,
            int shadowInputs, TermPairs reweighing, TermPairs counterfactuals, Promotion promotion,
            DataChecks.Leakage leakage, Path workDir, long seed, String actor, ChallengerTrainer trainer,
            Consumer<String> progress) { }

    /** Configures a loop; {@link #build()} checks every value. */
    public static final class Builder {
        private KeelRuntime runtime;
        private ModelRegistry registry;
        private String name;
        private NewData newData;
        private double heldoutFraction = 0.2;
        private double replayFraction = 0.2;
        private Path replayData;
        private final Map<String, Path> golden = new LinkedHashMap<>();
        private final List<Gate> gates = new ArrayList<>();
        private AdaptationMethod method;
        private ModelRef base;
        private boolean warmStart = true;
        private Integer epochs;
        private Double learningRate;
        private int batchSize = 32;
        private int maxLength = 128;
        private LoraConfig lora = LoraConfig.defaults();
        private final List<String> servingBackends = new ArrayList<>();
        private int servingRequests = 50;
        private double latencyFactor = 2.0;
        private BiasProbes biasProbes;
        private List<String> positiveLabels = List.of("1", "positive", "pos", "true");
        private CapturedInputs shadow;
        private int shadowInputs = 500;
        private TermPairs reweighing;
        private TermPairs counterfactuals;
        private Promotion promotion = Promotion.MANUAL;
        private DataChecks.Leakage leakage = DataChecks.Leakage.DROP;
        private Path workDir;
        private long seed = 1337;
        private String actor = "keel iterate";
        private ChallengerTrainer trainer;
        private Consumer<String> progress;

        /** The runtime that opens, trains and serves models (required). */
        public Builder runtime(KeelRuntime v) { runtime = v; return this; }
        /** The registry; default the runtime's ({@code KeelRuntime.registry()}). */
        public Builder registry(ModelRegistry v) { registry = v; return this; }
        /** The model's name in the registry (required). */
        public Builder name(String v) { name = v; return this; }
        /** The new labelled data each round reads (required). */
        public Builder newData(NewData v) { newData = v; return this; }
        public Builder newData(Path file) { newData = NewData.file(file); return this; }
        /** Share of each label of the new data held out for the quality gate (default 0.2). */
        public Builder heldoutFraction(double v) { heldoutFraction = v; return this; }
        /** Share of the challenger's training set replayed from the champion's data (default 0.2; 0 turns it off). */
        public Builder replayFraction(double v) { replayFraction = v; return this; }
        /** The champion's training data when its folder does not keep it (checked against its lineage). */
        public Builder replayData(Path v) { replayData = v; return this; }
        /** A frozen golden set, named by its file name without the extension. */
        public Builder golden(Path file) { return golden(stem(file), file); }
        public Builder golden(String setName, Path file) {
            if (golden.containsKey(setName) || GateMetric.HELDOUT.equals(setName) || GateMetric.BIAS.equals(setName)
                    || GateMetric.SHADOW.equals(setName)) {
                throw new InvalidInputException("golden set name '" + setName + "' is taken; give each golden file a "
                        + "different name (heldout, bias and shadow are reserved)");
            }
            golden.put(setName, file);
            return this;
        }
        public Builder gate(Gate v) { gates.add(v); return this; }
        /** A gate expression as {@code keel iterate --gate} takes it ({@link Gate#parse}). */
        public Builder gate(String expression) { gates.add(Gate.parse(expression)); return this; }
        /** The challenger's method; default the champion's. */
        public Builder method(AdaptationMethod v) { method = v; return this; }
        /** The base of a first round (no champion yet). */
        public Builder base(ModelRef v) { base = v; return this; }
        /** Start from the champion's head, adapter or weights (default true) or train fresh from the base. */
        public Builder warmStart(boolean v) { warmStart = v; return this; }
        /** Passes over the training data (default: head 20, lora 3, full 2). */
        public Builder epochs(int v) { epochs = v; return this; }
        /** Peak learning rate (default: head and lora 1e-3, full 5e-5). */
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        /** Longest input for a first round (later rounds use the champion's). */
        public Builder maxLength(int v) { maxLength = v; return this; }
        /** LoRA settings for a first round or a change of method (later rounds use the champion's). */
        public Builder lora(LoraConfig v) { lora = v; return this; }
        /** A backend the serving gate loads the challenger on (repeatable). */
        public Builder serveOn(String backend) { servingBackends.add(backend); return this; }
        /** Golden requests the serving gate sends, one call each (default 50). */
        public Builder servingRequests(int v) { servingRequests = v; return this; }
        /** The serving gate's default: challenger p99 at most this times the champion's (default 2). */
        public Builder latencyFactor(double v) { latencyFactor = v; return this; }
        /** Bias probes for the bias gate ({@link BiasProbes#sst2Gender()} is the bundled default). */
        public Builder biasProbes(BiasProbes v) { biasProbes = v; return this; }
        /** The favourable labels for the bias figures (default 1, positive, pos, true). */
        public Builder positiveLabels(List<String> v) { positiveLabels = List.copyOf(v); return this; }
        /** Captured inputs the shadow gate replays, the last {@code n} of them. */
        public Builder shadow(CapturedInputs v, int n) { shadow = v; shadowInputs = n; return this; }
        /** Reweighing (Kamiran-Calders) by the groups of these term pairs; null turns it off (default). */
        public Builder reweighing(TermPairs v) { reweighing = v; return this; }
        /** Counterfactual augmentation with these term pairs; null turns it off (default). */
        public Builder counterfactuals(TermPairs v) { counterfactuals = v; return this; }
        /** AUTO promotes a challenger that passes every gate; MANUAL (default) leaves it for approval. */
        public Builder promotion(Promotion v) { promotion = v; return this; }
        /** Drop (default) or refuse training rows that are also evaluation rows. */
        public Builder leakage(DataChecks.Leakage v) { leakage = v; return this; }
        /** Where rounds build their challengers (default: a keel-iterate folder in java.io.tmpdir). */
        public Builder workDir(Path v) { workDir = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        /** Who the registry records as registering and promoting (default "keel iterate"). */
        public Builder actor(String v) { actor = v; return this; }
        /** How challengers are trained (default {@link AdapterTrainer} over the runtime). */
        public Builder trainer(ChallengerTrainer v) { trainer = v; return this; }
        /** Receives one line per step of a round, for people. */
        public Builder progress(Consumer<String> v) { progress = v; return this; }

        public ContinuousLearning build() {
            if (runtime == null || name == null || newData == null) {
                throw new InvalidInputException("a continuous-learning loop needs a runtime, the model's name and the "
                        + "new data: ContinuousLearning.builder().runtime(keel).name(\"sentiment\").newData(file)");
            }
            if (!(heldoutFraction > 0 && heldoutFraction < 1)) {
                throw new InvalidInputException("the held-out fraction must be in (0, 1), got " + heldoutFraction);
            }
            Replay.count(1, replayFraction); // validates the fraction with its message
            if (batchSize <= 0 || maxLength <= 0 || servingRequests <= 0 || shadowInputs <= 0 || !(latencyFactor > 0)
                    || (epochs != null && epochs <= 0) || (learningRate != null && !(learningRate > 0))) {
                throw new InvalidInputException("batch size, max length, serving requests, shadow inputs, latency "
                        + "factor, epochs and learning rate must be positive");
            }
            for (Path g : golden.values()) {
                if (!Files.isRegularFile(g)) {
                    throw new InvalidInputException("golden set " + g + " does not exist; give a labelled file");
                }
            }
            if (replayData != null && !Files.isRegularFile(replayData)) {
                throw new InvalidInputException("replay data " + replayData + " does not exist");
            }
            ModelRegistry r = registry != null ? registry : runtime.registry();
            Path work = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "keel-iterate");
            ChallengerTrainer t = trainer != null ? trainer : new AdapterTrainer(runtime);
            return new ContinuousLearning(new Settings(runtime, r, name, newData, heldoutFraction, replayFraction,
                    replayData, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(golden)), List.copyOf(gates), method, base, warmStart, epochs, learningRate,
                    batchSize, maxLength, lora, List.copyOf(servingBackends), servingRequests, latencyFactor, biasProbes,
                    positiveLabels, shadow, shadowInputs, reweighing, counterfactuals, promotion, leakage, work, seed,
                    actor, t, progress));
        }

        private static String stem(Path file) {
            String n = file.getFileName().toString();
            int dot = n.lastIndexOf('.');
            return dot > 0 ? n.substring(0, dot) : n;
        }
    }
}
