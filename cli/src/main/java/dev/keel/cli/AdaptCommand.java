package dev.keel.cli;

import dev.keel.adapters.HeadAdapter;
import dev.keel.api.Capability;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.ModelFolder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel adapt}: fine-tunes a base model for a task. {@code --method head} trains a head in Java over
 * embeddings from the inference backend (any backend that embeds, ONNX Runtime included; builtin bases use
 * onnx unless a backend is named); {@code full} and {@code lora} run on the training backend chosen for the
 * family (djl), with builtin bases imported to a cached folder first.
 */
@Command(name = "adapt", mixinStandardHelpOptions = true,
        description = "Fine-tune a base model for a task (head, lora or full).")
public final class AdaptCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--base", required = true, paramLabel = "DIR|builtin:NAME", description = "the pretrained model")
    String base;

    @Option(names = "--method", required = true, paramLabel = "head|lora|full", description = "what to train")
    String method;

    @Option(names = "--task", defaultValue = "classify", paramLabel = "classify|causal-lm|prompt-response",
            description = "the task (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--train", required = true, paramLabel = "FILE", description = "labelled TSV/CSV/JSONL, or text")
    Path train;

    @Option(names = "--dev", paramLabel = "FILE", description = "development data for early stopping and metrics")
    Path dev;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the adapted model folder (new or empty)")
    Path out;

    @Option(names = "--epochs", description = "passes over the training data (default: head 20, lora/full 1)")
    Integer epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = "stop after this many steps; 0: by epochs")
    int maxSteps;

    @Option(names = "--lr", description = "peak learning rate (default: head 1e-3, lora 1e-3, full 5e-5)")
    Double lr;

    @Option(names = "--batch", defaultValue = "32", description = "examples per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW decay on matrices (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--lora-r", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE})")
    int loraR;

    @Option(names = "--lora-alpha", defaultValue = "8", description = "LoRA alpha (default: ${DEFAULT-VALUE})")
    double loraAlpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "LoRA input dropout (default: ${DEFAULT-VALUE})")
    double loraDropout;

    @Option(names = "--lora-targets", split = ",", paramLabel = "NAME",
            description = "modules to adapt (default: query,value for bert, c_attn for gpt2)")
    List<String> loraTargets;

    @Option(names = "--max-length", defaultValue = "128", description = "longest input in tokens (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--class-weights", defaultValue = "auto", paramLabel = "auto|balanced|none",
            description = "loss weights against class imbalance; auto balances when classes differ 1.5x (default: ${DEFAULT-VALUE})")
    String classWeights;

    @Option(names = "--patience", defaultValue = "3", description = "dev evaluations without improvement before stopping; 0 never (default: ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--eval-every", defaultValue = "0", description = "steps between dev evaluations; 0: once per epoch")
    int evalEvery;

    @Option(names = "--limit", defaultValue = "0", description = "train on a seeded random subset of N examples; 0: all")
    int limit;

    @Option(names = "--head-hidden", defaultValue = "0", description = "tanh hidden width of a head; 0: linear (default)")
    int headHidden;

    @Option(names = "--label-names", split = ",", paramLabel = "NAME",
            description = "classify: names for data labelled 0..n-1, in id order (e.g. negative,positive); the model "
                    + "then answers with the names")
    List<String> labelNames;

    @Option(names = "--reference", paramLabel = "FILE",
            description = "causal-lm: the original corpus; its validation loss before and after shows forgetting")
    Path reference;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        AdaptationMethod m = AdaptationMethod.parse(method);
        AdaptationTask t = AdaptationTask.parse(task);
        KeelRuntime runtime = common.runtime();
        ModelRef baseRef = common.model(base);
        double rate = lr != null ? lr : switch (m) {
            case HEAD -> 1e-3;
            case LORA -> 1e-3; // the SST-2 LoRA runs that met their goal used 1e-3 and 2e-3 (docs/benchmarks.md)
            case FULL -> 5e-5;
        };
        int passes = epochs != null ? epochs : m == AdaptationMethod.HEAD ? 20 : 1;
        TrainingConfig training = TrainingConfig.builder().maxSteps(maxSteps).epochs(passes).batchSize(batch)
                .learningRate(rate).minLearningRate(0).warmupSteps(0).weightDecay(weightDecay).gradClip(1.0)
                .seed(common.seed).build();
        Adapter adapter;
        String backend;
        if (m == AdaptationMethod.HEAD) {
            var provider = runtime.backend(Capability.INFER, runtime.family(baseRef));
            backend = provider.name();
            if (baseRef.isBuiltin() && !provider.builtins().containsKey(baseRef.builtinName().orElseThrow())) {
                baseRef = BaseModels.asFolder(runtime, baseRef, console);
            }
            SessionOptions features = SessionOptions.builder().device(common.device()).build();
            adapter = new HeadAdapter(ref -> runtime.open(ref, features), backend);
        } else {
            baseRef = BaseModels.asFolder(runtime, baseRef, console);
            ModelFamily family = ModelFolder.readConfig(baseRef.path().orElseThrow()).family();
            if (family.equals(ModelFamily.BERT)) {
                // bert fine-tuning has always run AdamW with beta2 0.999, and now reads it from the config
                training = training.toBuilder().betas(0.9, 0.999).build();
            }
            var provider = runtime.backend(Capability.ADAPT, family);
            backend = provider.name();
            adapter = provider.adapter(common.device());
        }
        AdaptationSpec spec = AdaptationSpec.builder().base(baseRef).method(m).task(t).train(train).dev(dev)
                .training(training).lora(new LoraConfig(loraR, loraAlpha, loraDropout, loraTargets))
                .maxLength(maxLength).outputDir(out).classWeights(ClassWeighting.parse(classWeights))
                .patience(patience).evalEvery(evalEvery).headHidden(headHidden).trainLimit(limit)
                .reference(reference).labelNames(labelNames).build();
        console.say("adapting " + baseRef + " with " + m.name().toLowerCase(java.util.Locale.ROOT) + " on " + backend);
        PretrainCommand.Progress progress = new PretrainCommand.Progress(console);
        TrainingResult r = adapter.adapt(spec, StopSignals.stopping(event -> {
            if (event instanceof TrainingEvent.Evaluation e && !e.metrics().isEmpty()) {
                console.endProgress();
                console.say(String.format("step %d: train loss %.4f, dev loss %.4f, dev accuracy %.4f, macro-F1 %.4f",
                        e.step(), e.trainLoss(), e.valLoss(), e.metrics().getOrDefault("dev_accuracy", Double.NaN),
                        e.metrics().getOrDefault("dev_macro_f1", Double.NaN)));
            } else if (event instanceof TrainingEvent.Started s) {
                console.say(String.format("%,d parameters, %s trainable, %d steps", s.parameters(),
                        s.trainableParameters() < 0 ? "head only" : String.format("%,d", s.trainableParameters()),
                        s.maxSteps()));
            } else if (event instanceof TrainingEvent.Step s && Double.isNaN(s.loss())) {
                console.progress(String.format("embedding %d/%d texts, %.0f texts/s", s.step(), s.maxSteps(),
                        s.tokensPerSecond()));
            } else {
                progress.onEvent(event);
            }
        }));
        console.endProgress();
        Map<String, Object> json = new LinkedHashMap<>();
        if (t == AdaptationTask.CLASSIFY) {
            json.put("dev_accuracy", r.metrics().getOrDefault("dev_accuracy", Double.NaN));
            json.put("dev_macro_f1", r.metrics().getOrDefault("dev_macro_f1", Double.NaN));
            json.put("dev_ece", r.metrics().getOrDefault("dev_ece", Double.NaN));
        }
        json.put("dev_loss", r.valLoss());
        for (String k : List.of("dev_loss_before", "reference_loss_before", "reference_loss", "forgetting")) {
            if (r.metrics().containsKey(k)) {
                json.put(k, r.metrics().get(k));
            }
        }
        json.put("trainable_params", r.trainableParameters());
        json.put("total_params", r.parameters());
        json.put("steps", r.steps());
        json.put("wall_s", r.wallSeconds());
        json.put("method", m.name().toLowerCase(java.util.Locale.ROOT));
        json.put("backend", backend);
        json.put("out", r.output().toString());
        console.result(json);
        return 0;
    }

}
