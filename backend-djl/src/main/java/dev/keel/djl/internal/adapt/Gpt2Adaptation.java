package dev.keel.djl.internal.adapt;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.keel.adapters.AdaptRun;
import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.djl.internal.gpt2.AdamW;
import dev.keel.djl.internal.gpt2.Gpt2Model;
import dev.keel.djl.internal.gpt2.Gpt2Session;
import dev.keel.spi.checkpoint.ChatTemplate;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.KeelCache;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.LabelledFiles;
import dev.keel.spi.data.PromptResponse;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.train.Schedules;
import dev.keel.spi.train.TrainingStop;
import dev.keel.spi.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tuning of a gpt2 folder, on the pre-trainer's own model and AdamW, with every weight ({@code full}) or
 * with LoRA adapters on a frozen base ({@code lora}; PEFT's gpt2 default targets {@code c_attn}, and only the
 * adapters get gradients and optimizer state):
 * <ul>
 *   <li>causal-lm (unsupervised domain adaptation): next-token training on the first 90% of the domain
 *       text; the domain validation loss (last 10%) is measured before and after, and so is the loss on the
 *       original corpus when one is given, so the report shows both the gain and the forgetting.</li>
 *   <li>prompt-response: each example is prompt then response (then end-of-text when the vocabulary has
 *       one); the loss counts only the targets inside the response, so the model learns to answer, not to
 *       echo prompts.</li>
 * </ul>
 */
final class Gpt2Adaptation {
    private Gpt2Adaptation() { }

    static TrainingResult run(AdaptationSpec spec, dev.keel.api.Device device, KeelCache cache,
            TrainingListener listener) {
        long started = System.nanoTime();
        if (spec.method() != AdaptationMethod.FULL && spec.method() != AdaptationMethod.LORA) {
            throw new UnsupportedCapabilityException("gpt2 causal-lm and prompt-response adaptation runs --method "
                    + "full or lora; --method " + spec.method().name().toLowerCase(java.util.Locale.ROOT)
                    + " is not available for them");
        }
        Path baseDir = spec.base().path().orElseThrow(() -> new InvalidInputException("a gpt2 base is a folder"));
        try (AdaptRun run = AdaptRun.open(spec, "djl " + device)) {
            return run(spec, device, cache, listener, run, baseDir, started);
        }
    }

    private static TrainingResult run(AdaptationSpec spec, dev.keel.api.Device device, KeelCache cache,
            TrainingListener listener, AdaptRun run, Path baseDir, long started) {
        boolean lora = spec.method() == AdaptationMethod.LORA;
        ModelConfig mc = ModelFolder.readConfig(baseDir);
        Gpt2Config config = (Gpt2Config) mc;
        if (lora) {
            Gpt2Model.loraModules(config, spec.lora().targetModules()); // a bad target fails before any work
        }
        Path warm = warmStart(spec, baseDir, config);
        // what the run starts from, and so what the "before" figures measure: the warm start, else the base
        Path startDir = warm != null ? warm : baseDir;
        Tokenizer tokenizer = ModelFolder.readTokenizer(baseDir);
        TrainingConfig tc = spec.training();
        int block = Math.min(config.nPositions(), Math.min(tc.blockSize(), spec.maxLength()));
        Map<String, Double> metrics = new LinkedHashMap<>();
        Trainer trainer;
        TextCorpus domain = null;
        Split domainSplit = Split.VAL;
        TextCorpus reference = spec.reference() == null ? null : TextCorpus.of(spec.reference()).requireExists();
        if (spec.task() == AdaptationTask.CAUSAL_LM) {
            // with a dev text, every token of the training text is trained on and the dev text is measured
            // (the iteration loop's held-out part); without one, nanoGPT's split of the one corpus
            TextCorpus text = TextCorpus.of(spec.train()).requireExists();
            domain = spec.dev() == null ? text : TextCorpus.of(spec.dev()).requireExists();
            domainSplit = spec.dev() == null ? Split.VAL : Split.ALL;
            TokenArray train = CorpusTokenizer.tokenize(text, tokenizer, cache)
                    .split(spec.dev() == null ? Split.TRAIN : Split.ALL);
            if (train.size() <= block + 1) {
                throw new InvalidInputException("the domain corpus " + spec.train() + " has " + train.size()
                        + " training tokens, fewer than one block of " + (block + 1) + "; give it more text");
            }
            try (Gpt2Session s = Gpt2Session.open(startDir, SessionOptions.defaults())) {
                metrics.put("dev_loss_before", s.evaluate(domain, domainSplit).loss());
                if (reference != null) {
                    metrics.put("reference_loss_before", s.evaluate(reference, Split.VAL).loss());
                }
            }
            trainer = new CausalBatches(train, block, tc.batchSize(), tc.seed());
        } else if (spec.task() == AdaptationTask.PROMPT_RESPONSE) {
            List<int[][]> train = encodePairs(LabelledFiles.readLabelled(spec.train()), tokenizer, config.nPositions());
            List<int[][]> dev = spec.dev() == null ? null
                    : encodePairs(LabelledFiles.readLabelled(spec.dev()), tokenizer, config.nPositions());
            trainer = new PromptResponseBatches(train, dev, tc.batchSize(), tc.seed());
        } else {
            throw new UnsupportedCapabilityException("a gpt2 model adapts to causal-lm or prompt-response; "
                    + "classification runs on bert models");
        }
        // the shared rule: steps from maxSteps, else from epochs; warmup steps, else the spec's share of the run
        tc = Schedules.resolve(tc, trainer.stepsPerEpoch(), "gpt2 " + spec.method().name().toLowerCase(java.util.Locale.ROOT));
        int steps = tc.maxSteps();
        int warmup = Schedules.warmup(tc, spec.warmupFraction(), steps);
        ai.djl.Device djlDevice = DjlEngine.device(device);
        Engine engine = DjlEngine.pytorch();
        double lastLoss = Double.NaN;
        long nanos = 0;
        long tokens = 0;
        // a full warm start's weights are the champion's; a LoRA warm start keeps the base and loads the adapter
        Path weightsDir = warm != null && !lora ? warm : baseDir;
        try (Gpt2Model model = Gpt2Model.fromTensors(config, ModelFolder.readWeights(weightsDir).tensors(), djlDevice);
                AdamW optimizer = lora
                        ? AdamW.overArrays(attachLora(model, spec, warm), model.manager(), tc.beta1(), tc.beta2(),
                                tc.weightDecay())
                        : new AdamW(model.namedParameters(), model.manager(), tc.beta1(), tc.beta2(), tc.weightDecay())) {
            train(model, lora, true);
            if (trainer instanceof PromptResponseBatches pr && pr.dev != null) {
                metrics.put("dev_loss_before", pr.devLoss(model));
            }
            long params = model.parameterCount();
            long trainableCount = lora ? model.loraParameterCount() : params;
            listener.onEvent(new TrainingEvent.Started("gpt2-" + spec.task().name().toLowerCase(java.util.Locale.ROOT),
                    run.resumedStep(), steps, params, trainableCount));
            Map<String, NDArray> trainable = lora ? model.loraArrays() : arrays(model);
            TrainingStop stop = new TrainingStop(listener);
            int first = 0;
            if (run.resumed().isPresent()) {
                first = AdaptState.restore(run, trainable, optimizer);
                for (int k = 0; k < first; k++) {
                    trainer.skip();
                }
                nanos = (long) AdaptState.number(run.resumed().get(), "compute_nanos", 0);
                tokens = (long) AdaptState.number(run.resumed().get(), "tokens", 0);
            }
            for (int step = first; step < steps; step++) {
                if (stop.requested()) {
                    Map<String, Object> state = new LinkedHashMap<>();
                    state.put("step", step);
                    state.put("compute_nanos", nanos);
                    state.put("tokens", tokens);
                    AdaptState.save(run, stop, trainable, optimizer, state, Map.of());
                    throw run.stopped(stop, step, steps);
                }
                // dropout masks from a per-step seed, so a resumed run draws the masks the stopped one would have
                engine.setRandomSeed((int) (tc.seed() * 31 + step));
                long t0 = System.nanoTime();
                double lr = step < warmup ? tc.learningRate() * (step + 1) / warmup
                        : tc.learningRate() * (steps - step) / Math.max(1, steps - warmup);
                float loss;
                try (NDManager local = model.manager().newSubManager()) {
                    NDArray[] batch = trainer.next(local);
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        NDArray l = trainer.loss(model, local, batch, true);
                        collector.backward(l);
                        loss = l.getFloat();
                    }
                    tokens += batch[0].size();
                    optimizer.clipAndUpdate(local, lr, tc.gradClip());
                }
                if (!Float.isFinite(loss)) {
                    throw new KeelException("the loss became " + loss + " at step " + (step + 1) + "; lower --lr");
                }
                lastLoss = loss;
                nanos += System.nanoTime() - t0;
                listener.onEvent(new TrainingEvent.Step(step + 1, steps, loss, lr, tokens / (nanos / 1e9),
                        nanos / 1e6 / (step + 1 - first)));
            }
            train(model, lora, false);
            if (trainer instanceof PromptResponseBatches pr && pr.dev != null) {
                metrics.put("dev_loss", pr.devLoss(model));
            }
            String method = spec.method().name().toLowerCase(java.util.Locale.ROOT);
            String baseRef = AdaptedModels.baseReference(spec.base());
            Map<String, Object> training = new LinkedHashMap<>(KeelMetadata.trainingSettings(tc));
            training.put("steps", steps);
            if (spec.task() == AdaptationTask.PROMPT_RESPONSE) {
                // what serving needs to shape a chat turn the way training shaped prompts (encodePairs)
                training.put(ChatTemplate.KEY, ChatTemplate.VERBATIM);
            }
            training.put("trainable_params", trainableCount);
            training.put("total_params", params);
            if (warm != null) {
                training.put("warm_start", warm.toAbsolutePath().normalize().toString());
            }
            if (lora) {
                training.put("lora_r", spec.lora().rank());
                training.put("lora_alpha", spec.lora().alpha());
                training.put("lora_dropout", spec.lora().dropout());
                training.put("lora_targets", loraTargets(spec));
            }
            KeelMetadata meta = KeelMetadata.create("djl", method)
                    .withBase(baseRef, spec.task().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                            List.of(baseRef))
                    .withTraining(training)
                    .withData(Map.of("train", CorpusTokenizer.fingerprint(TextCorpus.of(spec.train()))))
                    .withVersion(method + "-" + Long.toHexString(System.currentTimeMillis()));
            if (lora) {
                writeLoraFolder(run.dir(), spec, model, tokenizer, baseRef, meta);
            } else {
                ModelFolder.write(run.dir(), config, model.toTensors(), tokenizer, meta);
            }
            if (domain != null) {
                try (Gpt2Session s = Gpt2Session.open(run.dir(), SessionOptions.defaults())) {
                    metrics.put("dev_loss", s.evaluate(domain, domainSplit).loss());
                    if (reference != null) {
                        metrics.put("reference_loss", s.evaluate(reference, Split.VAL).loss());
                        metrics.put("forgetting", metrics.get("reference_loss") - metrics.get("reference_loss_before"));
                    }
                }
            }
            ModelFolder.writeMetadata(run.dir(), meta.withMetrics(metrics));
            Path out = run.publish();
            double devLoss = metrics.getOrDefault("dev_loss", Double.NaN);
            TrainingResult r = new TrainingResult(steps, lastLoss, devLoss, devLoss, params, trainableCount,
                    tokens / Math.max(nanos / 1e9, 1e-9), nanos / 1e6 / Math.max(1, steps - first),
                    (System.nanoTime() - started) / 1e9, out, metrics);
            listener.onEvent(new TrainingEvent.Finished(r));
            return r;
        }
    }

    /** Every weight by name: what a full fine-tuning run trains and saves on a stop. */
    private static Map<String, NDArray> arrays(Gpt2Model model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> out.put(name, p.getArray()));
        return out;
    }

    /** Attaches gradients to what the method trains: every weight, or only the adapters over a frozen base. */
    private static void train(Gpt2Model model, boolean lora, boolean on) {
        if (lora) {
            model.setLoraTrainable(on);
        } else {
            model.setTrainable(on);
        }
    }

    private static Map<String, NDArray> attachLora(Gpt2Model model, AdaptationSpec spec, Path warm) {
        if (warm != null) {
            model.loadLora(LoraAdapter.read(warm), spec.lora().dropout());
        } else {
            model.addLora(spec.lora(), spec.training().seed());
        }
        return model.loraArrays();
    }

    /**
     * The folder a run starts from ({@link AdaptationSpec#warmStart}), checked before any work: a LoRA run starts
     * from a LoRA folder over the same base architecture with the spec's rank and targets (its adapter is trained
     * on), a full run from any gpt2 folder with the base's architecture (its weights are trained on: a pretrained
     * or fully fine-tuned model, or a LoRA folder merged).
     */
    private static Path warmStart(AdaptationSpec spec, Path baseDir, Gpt2Config config) {
        if (spec.warmStart() == null) {
            return null;
        }
        Path warm = spec.warmStart().path().orElseThrow();
        ModelFolder.requireFolder(warm);
        boolean adapter = LoraAdapter.isAdapterFolder(warm);
        String method = spec.method().name().toLowerCase(java.util.Locale.ROOT);
        if (adapter != (spec.method() == AdaptationMethod.LORA)) {
            throw new InvalidInputException("the warm start " + warm + " is " + (adapter ? "a LoRA" : "a full")
                    + " folder but this run trains --method " + method + "; start from a " + method
                    + " folder (a LoRA run continues an adapter, a full run continues a complete checkpoint) or train "
                    + "fresh");
        }
        ModelConfig warmConfig = ModelFolder.readConfig(warm);
        if (!warmConfig.equals(config)) {
            throw new InvalidInputException("the warm start " + warm + " has the architecture " + warmConfig
                    + " but the base " + baseDir + " has " + config + "; a warm start continues a model of the base's "
                    + "shape: use its own base, or train fresh");
        }
        if (adapter) {
            LoraAdapter a = LoraAdapter.read(warm);
            List<String> wanted = Gpt2Model.loraModules(config, loraTargets(spec));
            List<String> have = a.modules().stream()
                    .map(m -> m.startsWith(dev.keel.spi.checkpoint.Gpt2Layout.PREFIX) ? m
                            : dev.keel.spi.checkpoint.Gpt2Layout.PREFIX + m).sorted().toList();
            if (a.rank() != spec.lora().rank() || !have.equals(wanted.stream().sorted().toList())) {
                throw new InvalidInputException("the warm start " + warm + " has LoRA rank " + a.rank() + " on "
                        + a.modules() + " but this run asks for rank " + spec.lora().rank() + " on " + wanted
                        + "; pass the adapter's own rank and targets (--lora-r, --lora-targets) or train fresh");
            }
        }
        return warm;
    }

    /** PEFT's target_modules as the user named them (PEFT matches them by suffix on load, as Keel does). */
    private static List<String> loraTargets(AdaptationSpec spec) {
        return spec.lora().targetModules().isEmpty() ? Gpt2Model.DEFAULT_LORA_TARGETS : spec.lora().targetModules();
    }

    /**
     * A LoRA folder: the base's config.json, PEFT's adapter files (fan_in_fan_out, as GPT-2's Conv1D needs),
     * the tokenizer, and keel.json naming the base; no copy of the base weights.
     */
    private static void writeLoraFolder(Path out, AdaptationSpec spec, Gpt2Model model, Tokenizer tokenizer,
            String baseRef, KeelMetadata meta) {
        try {
            java.nio.file.Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new dev.keel.api.CheckpointException("cannot create " + out + ": " + e.getMessage(), e);
        }
        ModelFolder.writeConfig(out, model.config());
        new LoraAdapter(LoraAdapter.peftConfig(spec.lora(), baseRef, "CAUSAL_LM", loraTargets(spec), true, List.of()),
                model.peftTensors()).write(out);
        Tokenizers.save(tokenizer, out);
        ModelFolder.writeMetadata(out, meta);
    }

    /** {ids, targets, mask} rows for prompt/response pairs: the mask marks targets inside the response. */
    static List<int[][]> encodePairs(List<LabelledExample> examples, Tokenizer tokenizer, int maxPositions) {
        List<int[][]> out = new ArrayList<>();
        for (int e = 0; e < examples.size(); e++) {
            PromptResponse pair = PromptResponse.encode(tokenizer, examples.get(e).text(), examples.get(e).label(),
                    maxPositions, e + 1);
            int[] all = pair.tokens();
            int len = all.length - 1;
            int[] ids = new int[len];
            int[] targets = new int[len];
            int[] mask = new int[len];
            for (int i = 0; i < len; i++) {
                ids[i] = all[i];
                targets[i] = all[i + 1];
                mask[i] = i + 1 >= pair.promptLength() ? 1 : 0;
            }
            out.add(new int[][] {ids, targets, mask});
        }
        return out;
    }

    private interface Trainer {
        int stepsPerEpoch();

        /** Draws what {@link #next} would, without building it: replays the data order of a stopped run. */
        void skip();

        NDArray[] next(NDManager local);

        NDArray loss(Gpt2Model model, NDManager local, NDArray[] batch, boolean training);
    }

    private static final class CausalBatches implements Trainer {
        private final TokenArray train;
        private final int block;
        private final int batch;
        private final Random random;

        CausalBatches(TokenArray train, int block, int batch, long seed) {
            this.train = train;
            this.block = block;
            this.batch = batch;
            this.random = new Random(seed);
        }

        @Override
        public int stepsPerEpoch() {
            return Math.max(1, train.size() / (block * batch));
        }

        @Override
        public void skip() {
            for (int row = 0; row < batch; row++) {
                random.nextInt(train.size() - block);
            }
        }

        @Override
        public NDArray[] next(NDManager local) {
            long[] x = new long[batch * block];
            long[] y = new long[batch * block];
            int[] window = new int[block + 1];
            for (int row = 0; row < batch; row++) {
                train.copy(random.nextInt(train.size() - block), window, 0, block + 1);
                for (int i = 0; i < block; i++) {
                    x[row * block + i] = window[i];
                    y[row * block + i] = window[i + 1];
                }
            }
            Shape shape = new Shape(batch, block);
            return new NDArray[] {DjlEngine.ownedLongs(local, x, shape), DjlEngine.ownedLongs(local, y, shape)};
        }

        @Override
        public NDArray loss(Gpt2Model model, NDManager local, NDArray[] b, boolean training) {
            return model.loss(local, b[0], b[1], training);
        }
    }

    private static final class PromptResponseBatches implements Trainer {
        private final List<int[][]> train;
        private final List<int[][]> dev;
        private final int batch;
        private final Random random;
        private final List<Integer> order = new ArrayList<>();

        PromptResponseBatches(List<int[][]> train, List<int[][]> dev, int batch, long seed) {
            this.train = train;
            this.dev = dev;
            this.batch = batch;
            this.random = new Random(seed);
        }

        @Override
        public int stepsPerEpoch() {
            return (train.size() + batch - 1) / batch;
        }

        @Override
        public void skip() {
            rows();
        }

        @Override
        public NDArray[] next(NDManager local) {
            return pad(local, rows());
        }

        private List<int[][]> rows() {
            List<int[][]> rows = new ArrayList<>();
            for (int i = 0; i < Math.min(batch, train.size()); i++) {
                if (order.isEmpty()) {
                    for (int k = 0; k < train.size(); k++) {
                        order.add(k);
                    }
                    java.util.Collections.shuffle(order, random);
                }
                rows.add(train.get(order.remove(order.size() - 1)));
            }
            return rows;
        }

        static NDArray[] pad(NDManager local, List<int[][]> rows) {
            int t = rows.stream().mapToInt(r -> r[0].length).max().orElse(1);
            long[] x = new long[rows.size() * t];
            long[] y = new long[rows.size() * t];
            float[] m = new float[rows.size() * t];
            double total = rows.stream().mapToLong(r -> java.util.Arrays.stream(r[2]).sum()).sum();
            if (total == 0) {
                throw new InvalidInputException("a batch has no response tokens; every example needs a non-empty response");
            }
            for (int r = 0; r < rows.size(); r++) {
                int[][] row = rows.get(r);
                for (int i = 0; i < row[0].length; i++) {
                    x[r * t + i] = row[0][i];
                    y[r * t + i] = row[1][i];
                    m[r * t + i] = (float) (row[2][i] / total); // normalised: the loss is a plain sum
                }
            }
            Shape shape = new Shape(rows.size(), t);
            return new NDArray[] {DjlEngine.ownedLongs(local, x, shape), DjlEngine.ownedLongs(local, y, shape),
                DjlEngine.ownedFloats(local, m, shape)};
        }

        @Override
        public NDArray loss(Gpt2Model model, NDManager local, NDArray[] b, boolean training) {
            return model.tokenLosses(local, b[0], b[1], training).mul(b[2]).sum();
        }

        /** Mean loss per response token over the dev pairs. */
        double devLoss(Gpt2Model model) {
            double sum = 0;
            long count = 0;
            for (int start = 0; start < dev.size(); start += batch) {
                List<int[][]> rows = dev.subList(start, Math.min(dev.size(), start + batch));
                long n = rows.stream().mapToLong(r -> java.util.Arrays.stream(r[2]).sum()).sum();
                try (NDManager local = model.manager().newSubManager()) {
                    sum += loss(model, local, pad(local, rows), false).getFloat() * n;
                }
                count += n;
            }
            return sum / Math.max(1, count);
        }
    }

}
