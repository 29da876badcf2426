package dev.keel.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.keel.api.Device;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.djl.internal.gpt2.Gpt2Model;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.djl.internal.gpt2.Gpt2Session;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Pre-training on backend-djl against nanoGPT, printed side by side:
 * <ol>
 *   <li>nanoGPT's CPU configuration on Tiny Shakespeare through Keel's pre-trainer (what {@code keel pretrain}
 *       runs): validation loss and wall time;</li>
 *   <li>framework overhead: the same DJL block and batch in a plain DJL loop (GradientCollector and DJL's Adam,
 *       nothing else) against Keel's training step (schedule, AdamW groups, clipping, events, log), interleaved
 *       in one process, as ms/iter, their ratio and GFLOP/s (6 x parameters x tokens/s);</li>
 *   <li>generation: ms/token with and without the key/value cache at 256 new tokens.</li>
 * </ol>
 * Usage: {@code PretrainBenchmark [CORPUS] [ITERS] [OUT]}; defaults: {@code ../shared/data/tinyshakespeare/input.txt},
 * 2000, a temporary folder.
 */
public final class PretrainBenchmark {
    private static final Gpt2Config ARCH = Gpt2Config.builder().vocabSize(1).blockSize(64).layers(4).heads(4)
            .embedding(128).dropout(0).build();

    private PretrainBenchmark() { }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Path corpus = Path.of(args.length > 0 ? args[0] : "../shared/data/tinyshakespeare/input.txt");
        int iters = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        Path out = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("keel-pretrain-bench");
        if (!Files.exists(corpus)) {
            System.err.println("corpus " + corpus + " is missing; pass the Tiny Shakespeare input.txt");
            System.exit(2);
        }
        System.out.printf("machine: %d cores, %s; intra-op threads: %s%n", Runtime.getRuntime().availableProcessors(),
                cpuModel(), System.getenv().getOrDefault("OMP_NUM_THREADS", "engine default"));

        // 1. nanoGPT's CPU configuration, exactly the flags of keel pretrain
        TrainingConfig training = TrainingConfig.builder().maxSteps(iters).batchSize(12).blockSize(64)
                .learningRate(1e-3).minLearningRate(1e-4).warmupSteps(100).weightDecay(0.1).betas(0.9, 0.99)
                .gradClip(1.0).evalInterval(250).evalIters(20).seed(1337).build();
        Path model = out.resolve("shakespeare-char");
        long t0 = System.nanoTime();
        TrainingResult r = new Gpt2Pretrainer(Device.cpu()).pretrain(PretrainSpec.builder().architecture(ARCH)
                .tokenizer(TokenizerSpec.chars()).corpus(corpus).training(training).outputDir(model).build());
        double wall = (System.nanoTime() - t0) / 1e9;
        EvaluationResult full;
        try (Gpt2Session s = Gpt2Session.open(model, SessionOptions.defaults())) {
            full = s.evaluate(TextCorpus.of(corpus), Split.VAL);
        }
        System.out.printf("%n[1] nanoGPT CPU config, %d iters: val loss (20-batch estimate) %.4f, best %.4f, "
                + "train loss %.4f; full val loss %.4f over %,d tokens; wall %.1f s; %.1f ms/iter; %,d params%n",
                iters, r.valLoss(), r.bestValLoss(), r.trainLoss(), full.loss(), full.tokens(), wall, r.msPerStep(),
                r.parameters());

        // 2. framework overhead, interleaved so both see the same machine load
        TokenArray train = CorpusTokenizer.tokenize(TextCorpus.of(corpus), ModelFolder.readTokenizer(model))
                .split(Split.TRAIN);
        int vocab = ModelFolder.readTokenizer(model).vocabSize();
        Gpt2Config config = new Gpt2Config(vocab, 64, 128, 4, 4, 0, true, 1e-5);
        int overheadIters = Integer.getInteger("bench.overheadIters", 150);
        double[] plain = new double[3];
        double[] keel = new double[3];
        plainLoop(config, train, 20);
        for (int round = 0; round < plain.length; round++) {
            plain[round] = plainLoop(config, train, overheadIters);
            keel[round] = keelLoop(corpus, out.resolve("overhead-" + round), overheadIters);
        }
        double plainMs = median(plain);
        double keelMs = median(keel);
        long params = config.parameterCount();
        double tokens = 12 * 64;
        System.out.printf("%n[2] overhead, %d iters x 3 rounds (median): plain DJL %.2f ms/iter (%.1f GFLOP/s), "
                + "keel %.2f ms/iter (%.1f GFLOP/s), ratio keel/plain %.3f%n      rounds plain %s keel %s%n",
                overheadIters, plainMs, gflops(params, tokens, plainMs), keelMs, gflops(params, tokens, keelMs),
                keelMs / plainMs, Arrays.toString(round2(plain)), Arrays.toString(round2(keel)));

        // 3. generation with and without the key/value cache, 256 new tokens, greedy
        GenerationRequest request = GenerationRequest.builder().prompt("ROMEO:").maxTokens(256).greedy().build();
        Path wide = out.resolve("block-512");
        try (Gpt2Model m = Gpt2Model.initialise(new Gpt2Config(vocab, 512, 128, 4, 4, 0, true, 1e-5),
                ai.djl.Device.cpu(), 1)) {
            ModelFolder.write(wide, m.config(), m.toTensors(), ModelFolder.readTokenizer(model),
                    KeelMetadata.create("djl", "benchmark"));
        }
        for (Path m : new Path[] {model, wide}) {
            double[] cached = new double[3];
            double[] uncached = new double[3];
            try (Gpt2Session withCache = Gpt2Session.open(m, SessionOptions.defaults());
                    Gpt2Session without = Gpt2Session.open(m, SessionOptions.defaults()).withKvCache(false)) {
                withCache.generate(request);
                without.generate(request);
                for (int i = 0; i < cached.length; i++) {
                    cached[i] = perToken(withCache.generate(request));
                    uncached[i] = perToken(without.generate(request));
                }
            }
            System.out.printf("%n[3] generation, %s (context %d), 256 tokens greedy (median of 3): "
                    + "with cache %.2f ms/token, without %.2f ms/token, speed-up %.2fx%n", m.getFileName(),
                    ModelFolder.readConfig(m).maxPositions(), median(cached), median(uncached),
                    median(uncached) / median(cached));
        }
    }

    /** The same block and batch shape in the plainest DJL loop: sample, forward, backward, DJL's Adam. */
    private static double plainLoop(Gpt2Config config, TokenArray train, int iters) {
        Engine engine = DjlEngine.pytorch();
        Random random = new Random(1);
        try (Gpt2Model model = Gpt2Model.initialise(config, ai.djl.Device.cpu(), 1)) {
            model.setTrainable(true);
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).optWeightDecays(0.1f)
                    .optBeta2(0.99f).build();
            long start = 0;
            for (int it = 0; it < iters + 5; it++) {
                if (it == 5) {
                    start = System.nanoTime();
                }
                try (NDManager local = model.manager().newSubManager()) {
                    long[] x = new long[12 * 64];
                    long[] y = new long[12 * 64];
                    for (int b = 0; b < 12; b++) {
                        int from = random.nextInt(train.size() - 65);
                        for (int t = 0; t < 64; t++) {
                            x[b * 64 + t] = train.get(from + t);
                            y[b * 64 + t] = train.get(from + t + 1);
                        }
                    }
                    NDArray xs = DjlEngine.ownedLongs(local, x, new Shape(12, 64));
                    NDArray ys = DjlEngine.ownedLongs(local, y, new Shape(12, 64));
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray loss = model.loss(local, xs, ys, true);
                        gc.backward(loss);
                        loss.getFloat();
                    }
                    for (Parameter p : model.namedParameters().values()) {
                        NDArray w = p.getArray();
                        NDArray g = w.getGradient();
                        adam.update(p.getId(), w, g);
                        g.subi(g);
                        g.close();
                    }
                }
            }
            return (System.nanoTime() - start) / 1e6 / iters;
        }
    }

    /** Keel's pre-trainer on the same shape, no evaluation; its ms/iter counts training steps only. */
    private static double keelLoop(Path corpus, Path out, int iters) {
        TrainingConfig training = TrainingConfig.builder().maxSteps(iters).batchSize(12).blockSize(64)
                .learningRate(1e-3).minLearningRate(1e-4).warmupSteps(10).weightDecay(0.1).betas(0.9, 0.99)
                .gradClip(1.0).evalInterval(0).evalIters(0).seed(1).build();
        return new Gpt2Pretrainer(Device.cpu()).pretrain(PretrainSpec.builder().architecture(ARCH).corpus(corpus)
                .training(training).outputDir(out).build()).msPerStep();
    }

    private static double perToken(GenerationResult r) {
        return r.msPerToken();
    }

    private static double gflops(long params, double tokensPerIter, double msPerIter) {
        return 6.0 * params * tokensPerIter / (msPerIter / 1000) / 1e9;
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double[] round2(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 100) / 100.0).toArray();
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (java.io.IOException e) {
            return "unknown CPU";
        }
    }
}
