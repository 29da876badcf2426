package dev.keel.cli;

import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.Operation;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.iterate.ChampionFolders;
import dev.keel.iterate.ContinuousLearning;
import dev.keel.iterate.data.DataChecks;
import dev.keel.iterate.data.TermPairs;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.iterate.gate.Gate;
import dev.keel.iterate.shadow.CapturedInputFile;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.registry.capture.JdbcCaptureStore;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel iterate}: one continuous-learning round on a registered model. Trains a challenger from the
 * {@code champion} on new labelled data, new text (a gpt2 causal LM) or new pairs (a gpt2 prompt-response
 * model), plus a replay of the champion's data, measures both on the held-out
 * new data, golden sets, bias probes, serving backends and captured inputs, evaluates every gate, registers the
 * challenger (alias {@code challenger}) and, with {@code --promote}, moves {@code champion} to it when every
 * gate passed. Prints one line per gate check, then the round's JSON. Exit 0 for a completed round whether or
 * not it promoted, 2 for bad input (nothing trained or registered), 1 for other failures.
 */
@Command(name = "iterate", mixinStandardHelpOptions = true,
        description = {"One continuous-learning round: train a challenger from the champion, gate it, maybe promote.",
            "Gates: METRIC[@SET]>=N | <=N, METRIC[@SET]:min_abs_change=N[,min_rel_change=R], forgetting<=D, "
                    + "flip_rate<=F, latency_ratio<=X, shadow_agreement>=A; gpt2 champions: perplexity<=P, "
                    + "perplexity:min_rel_change=R, loss, forgetting<=D nats (docs/iteration.md)."})
public final class IterateCommand implements Callable<Integer> {
    @Mixin
    RegistryCommand.Where where;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "the model's name in the registry")
    String name;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "new data: labelled rows (TSV text<TAB>label, CSV, JSONL) for a classifier; plain text (a "
                    + ".txt file or a folder) for a gpt2 causal-lm champion; pairs (JSONL text/label, TSV "
                    + "prompt<TAB>response) for a prompt-response champion")
    Path data;

    @Option(names = "--golden", paramLabel = "FILE", description = "a frozen golden set for the forgetting gate (repeatable): labelled rows, or "
            + "text / pairs for a gpt2 champion")
    List<Path> golden = new ArrayList<>();

    @Option(names = "--gate", paramLabel = "EXPR", description = "a gate (repeatable), e.g. 'accuracy>=0.85'")
    List<String> gates = new ArrayList<>();

    @Option(names = "--replay-fraction", defaultValue = "0.2", paramLabel = "F",
            description = "share of the training set replayed from the champion's data, in [0, 1) (default: ${DEFAULT-VALUE})")
    double replayFraction;

    @Option(names = "--replay-data", paramLabel = "FILE",
            description = "the champion's training data when its version does not keep it (checked against its lineage)")
    Path replayData;

    @Option(names = "--heldout-fraction", defaultValue = "0.2", paramLabel = "F",
            description = "share of the new data held out for the quality gate: of each label, of the text's blocks, "
                    + "or of the pairs (default: ${DEFAULT-VALUE})")
    double heldoutFraction;

    @Option(names = "--method", paramLabel = "head|lora|full", description = "the challenger's method (default: the champion's)")
    String method;

    @Option(names = "--fresh", description = "train from the base instead of starting from the champion")
    boolean fresh;

    @Option(names = "--epochs", description = "passes over the training data (default: head 20, lora 3, full 2; "
            + "gpt2 3)")
    Integer epochs;

    @Option(names = "--lr", description = "peak learning rate (default: head and lora 1e-3, full 5e-5; gpt2 lora "
            + "1e-3, full 3e-4)")
    Double lr;

    @Option(names = "--batch", defaultValue = "32", description = "examples (gpt2 text: blocks) per step "
            + "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--bias-probes", paramLabel = "FILE|default",
            description = "counterfactual bias probes (JSONL) for the bias gates; 'default': the bundled SST-2 gender probes")
    String biasProbes;

    @Option(names = "--positive-labels", split = ",", paramLabel = "LABEL",
            description = "the favourable labels for the bias figures (default: 1,positive,pos,true)")
    List<String> positiveLabels;

    @Option(names = "--serve-on", paramLabel = "BACKEND", description = "a backend the serving gate loads the challenger on (repeatable)")
    List<String> serveOn = new ArrayList<>();

    @Option(names = "--latency-factor", defaultValue = "2.0",
            description = "serving gate: challenger p99 at most this times the champion's (default: ${DEFAULT-VALUE})")
    double latencyFactor;

    @Option(names = "--shadow", paramLabel = "FILE",
            description = "captured inputs to replay (one per line, or labelled: labels count as feedback)")
    Path shadow;

    @Option(names = "--shadow-store", paramLabel = "DB",
            description = "replay inputs the inference log captured for --name (the store keel serve --capture or a "
                    + "host writes: a folder, an SQLite file or a JDBC URL), with their feedback")
    String shadowStore;

    @Option(names = "--shadow-inputs", defaultValue = "500", description = "replay the last N captured inputs (default: ${DEFAULT-VALUE})")
    int shadowInputs;

    @Option(names = "--reweigh", arity = "0..1", fallbackValue = "default", paramLabel = "PAIRS|default",
            description = "Kamiran-Calders reweighing by the groups of a term-pair file ('default': English gendered terms)")
    String reweigh;

    @Option(names = "--cda", arity = "0..1", fallbackValue = "default", paramLabel = "PAIRS|default",
            description = "counterfactual data augmentation with a term-pair file ('default': English gendered terms)")
    String cda;

    @Option(names = "--leakage", defaultValue = "drop", paramLabel = "drop|refuse",
            description = "training rows equal to evaluation rows: drop them (default) or refuse the round")
    String leakage;

    @Option(names = "--promote", description = "move the champion alias to the challenger when every gate passes")
    boolean promote;

    @Option(names = "--dry-run", description = "say what would be trained and gated; train and register nothing")
    boolean dryRun;

    @Option(names = "--work", paramLabel = "DIR", description = "where the challenger is built before registration "
            + "(default: a keel-iterate folder in the temporary directory)")
    Path work;

    @Override
    public Integer call() {
        Console console = where.console();
        CommonOptions common = where.common;
        // every value is checked before the registry is opened
        DataChecks.Leakage leak = switch (leakage.trim().toLowerCase(Locale.ROOT)) {
            case "drop" -> DataChecks.Leakage.DROP;
            case "refuse" -> DataChecks.Leakage.REFUSE;
            default -> throw new dev.keel.api.InvalidInputException("--leakage is drop or refuse, not '" + leakage + "'");
        };
        AdaptationMethod m = method == null ? null : AdaptationMethod.parse(method);
        BiasProbes probes = biasProbes == null ? null : BiasProbes.read(biasProbes);
        TermPairs reweighPairs = reweigh == null ? null : TermPairs.read(reweigh);
        TermPairs cdaPairs = cda == null ? null : TermPairs.read(cda);
        if (shadow != null && shadowStore != null) {
            throw new dev.keel.api.InvalidInputException("--shadow and --shadow-store both name inputs to replay; "
                    + "give one");
        }
        CapturedInputFile captured = shadow == null ? null : new CapturedInputFile(shadow);
        List<Gate> parsed = gates.stream().map(Gate::parse).toList();
        long started = System.nanoTime();
        try (JdbcModelRegistry registry = where.open(false);
                JdbcCaptureStore log = shadowStore == null ? null : FeedbackCommand.openExisting(shadowStore)) {
            KeelRuntime runtime = KeelRuntime.builder().backend(common.backend).device(common.device())
                    .registry(registry).build();
            ContinuousLearning.Builder b = ContinuousLearning.builder().runtime(runtime).registry(registry).name(name)
                    .newData(data).heldoutFraction(heldoutFraction).replayFraction(replayFraction).replayData(replayData)
                    .warmStart(!fresh).batchSize(batch).latencyFactor(latencyFactor).leakage(leak)
                    .reweighing(reweighPairs).counterfactuals(cdaPairs).biasProbes(probes).seed(common.seed)
                    .actor(RegistryCommand.actor()).progress(console::say)
                    .promotion(promote ? ContinuousLearning.Promotion.AUTO : ContinuousLearning.Promotion.MANUAL);
            golden.forEach(b::golden);
            parsed.forEach(b::gate);
            serveOn.forEach(b::serveOn);
            if (m != null) {
                b.method(m);
            }
            if (epochs != null) {
                b.epochs(epochs);
            }
            if (lr != null) {
                b.learningRate(lr);
            }
            if (positiveLabels != null) {
                b.positiveLabels(positiveLabels);
            }
            if (captured != null) {
                b.shadow(captured, shadowInputs);
            }
            if (log != null) { // the champion's calls, served under its registry name, with their feedback
                Operation served = registry.resolve(name, ContinuousLearning.CHAMPION)
                        .map(v -> ChampionFolders.task(registry.open(v.name(), v.version())))
                        .filter(t -> t != AdaptationTask.CLASSIFY).isPresent() ? Operation.GENERATE : Operation.CLASSIFY;
                b.shadow(log.inputs(CaptureFilter.all().model(name).operation(served)), shadowInputs);
            }
            if (work != null) {
                b.workDir(work);
            }
            ContinuousLearning loop = b.build();
            Trigger trigger = Trigger.manual(RegistryCommand.actor());
            RoundResult r = dryRun ? loop.plan(trigger) : loop.run(trigger);
            console.say(switch (r.decision()) {
                case PROMOTED -> "promoted " + ModelRef.parse("registry:" + name + "/" + r.challengerVersion())
                        + " to champion";
                case AWAITING_APPROVAL -> "every gate passed; version " + r.challengerVersion() + " awaits approval";
                case REFUSED -> "refused by " + r.gates().failures().size() + " gate check(s); champion unchanged";
                case DRY_RUN -> "dry run: nothing was trained or registered";
            });
            java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(r.toMap());
            json.put("seconds", (System.nanoTime() - started) / 1e9);
            console.result(json);
        }
        return 0;
    }
}
