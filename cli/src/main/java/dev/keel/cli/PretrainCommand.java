package dev.keel.cli;

import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keel pretrain}: trains a gpt2-family causal LM from scratch on a text corpus (nanoGPT's recipe). */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a causal LM (gpt2 family) from scratch on a text corpus.")
public final class PretrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "UTF-8 text file or folder")
    Path corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "model folder to write")
    Path out;

    @Option(names = "--tokenizer", defaultValue = "char", paramLabel = "char|byte|FILE.json",
            description = "tokenizer (default: ${DEFAULT-VALUE})")
    String tokenizer;

    @Option(names = "--layers", defaultValue = "4", description = "transformer blocks (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "attention heads (default: ${DEFAULT-VALUE})")
    int heads;

    @Option(names = "--embd", defaultValue = "128", description = "embedding width (default: ${DEFAULT-VALUE})")
    int embd;

    @Option(names = "--block", defaultValue = "64", description = "context length in tokens (default: ${DEFAULT-VALUE})")
    int block;

    @Option(names = "--batch", defaultValue = "12", description = "blocks per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--iters", defaultValue = "2000", description = "optimisation steps (default: ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--min-lr", description = "final learning rate (default: 1e-4, or --lr when that is lower)")
    Double minLr;

    @Option(names = "--warmup", defaultValue = "100", description = "linear warmup steps (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--dropout", defaultValue = "0", description = "dropout rate (default: ${DEFAULT-VALUE})")
    double dropout;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decay on matrices (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--beta2", defaultValue = "0.99", description = "AdamW beta2 (default: ${DEFAULT-VALUE})")
    double beta2;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "gradient norm clip, 0 disables (default: ${DEFAULT-VALUE})")
    double gradClip;

    @Option(names = "--eval-interval", defaultValue = "250", description = "steps between evaluations (default: ${DEFAULT-VALUE})")
    int evalInterval;

    @Option(names = "--eval-iters", defaultValue = "20", description = "batches per loss estimate (default: ${DEFAULT-VALUE})")
    int evalIters;

    @Option(names = "--log-interval", defaultValue = "10", description = "steps between log lines (default: ${DEFAULT-VALUE})")
    int logInterval;

    @Option(names = "--resume", description = "continue the run saved in --out")
    boolean resume;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        // the same settings, and the same defaults, as TrainingConfig's builder
        TrainingConfig.Builder schedule = TrainingConfig.builder().maxSteps(iters).batchSize(batch).blockSize(block)
                .learningRate(lr).warmupSteps(warmup).weightDecay(weightDecay)
                .betas(0.9, beta2).gradClip(gradClip).seed(common.seed).evalInterval(evalInterval)
                .evalIters(evalIters).logInterval(logInterval);
        if (minLr != null) {
            schedule.minLearningRate(minLr);
        }
        TrainingConfig training = schedule.build();
        if (training.warmupSteps() >= training.scheduleSteps()) {
            // the trainers fit it and log a warning through SLF4J, which the command line does not bind
            console.say("note: --warmup " + training.warmupSteps() + " is not shorter than the " + training.scheduleSteps()
                    + "-step run; warming up over " + training.resolve(1).warmupSteps() + " steps instead, so the "
                    + "learning rate reaches --lr " + lr);
        }
        // the vocabulary comes from the tokenizer
        Gpt2Config architecture = Gpt2Config.builder().blockSize(block).layers(layers).heads(heads)
                .embedding(embd).dropout(dropout).build();
        PretrainSpec spec = PretrainSpec.builder().architecture(architecture).tokenizer(TokenizerSpec.parse(tokenizer))
                .corpus(corpus).training(training).outputDir(out).resume(resume).build();
        Progress progress = new Progress(console);
        TrainingResult result = common.runtime().pretrainer().pretrain(spec, StopSignals.stopping(progress::onEvent));
        console.endProgress();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("val_loss", result.valLoss());
        json.put("train_loss", result.trainLoss());
        json.put("best_val_loss", result.bestValLoss());
        json.put("iters", result.steps());
        json.put("params", result.parameters());
        json.put("tokens_per_s", result.tokensPerSecond());
        json.put("ms_per_iter", result.msPerStep());
        json.put("wall_s", result.wallSeconds());
        json.put("out", result.output().toString());
        console.result(json);
        return 0;
    }

    /** A progress bar with loss, tokens/s and ETA, redrawn at most a few times a second. */
    static final class Progress {
        private final Console console;
        private long lastDraw;
        private double smoothedMs = Double.NaN;

        Progress(Console console) {
            this.console = console;
        }

        void onEvent(TrainingEvent event) {
            if (event instanceof TrainingEvent.Started s) {
                console.say(String.format("training %,d parameters, steps %d to %d", s.parameters(), s.startStep(),
                        s.maxSteps()));
            } else if (event instanceof TrainingEvent.Step s) {
                step(s);
            } else if (event instanceof TrainingEvent.Evaluation e) {
                console.endProgress();
                console.say(String.format("step %d: train loss %.4f, val loss %.4f", e.step(), e.trainLoss(),
                        e.valLoss()));
            }
        }

        private void step(TrainingEvent.Step s) {
            smoothedMs = Double.isNaN(smoothedMs) ? s.msPerStep() : 0.9 * smoothedMs + 0.1 * s.msPerStep();
            long now = System.nanoTime();
            if (now - lastDraw < 500_000_000L && s.step() != s.maxSteps()) {
                return;
            }
            lastDraw = now;
            int width = 24;
            int filled = (int) Math.round(width * (double) s.step() / Math.max(1, s.maxSteps()));
            long etaSeconds = Math.round(smoothedMs * (s.maxSteps() - s.step()) / 1000);
            console.progress(String.format("[%s%s] %d/%d loss %.4f | %,.0f tok/s | %.1f ms/it | ETA %d:%02d",
                    "#".repeat(filled), ".".repeat(width - filled), s.step(), s.maxSteps(), s.loss(),
                    s.tokensPerSecond(), s.msPerStep(), etaSeconds / 60, etaSeconds % 60));
        }
    }
}
