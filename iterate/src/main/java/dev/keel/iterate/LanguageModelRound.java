package dev.keel.iterate;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.iterate.data.DataChecks;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.Replay;
import dev.keel.iterate.data.RowFiles;
import dev.keel.iterate.data.StratifiedSplit;
import dev.keel.iterate.data.TextBlocks;
import dev.keel.iterate.data.TextKey;
import dev.keel.iterate.eval.LanguageModelEvaluation;
import dev.keel.iterate.gate.Evaluations;
import dev.keel.iterate.gate.Gate;
import dev.keel.iterate.gate.GateMetric;
import dev.keel.iterate.gate.MetricThreshold;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.LabelledFiles;
import dev.keel.spi.data.PromptResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The parts of a round that differ for a gpt2 champion: a causal LM (from {@code keel pretrain}, or
 * {@code keel adapt --task causal-lm}) iterates on new text, a prompt-response model on new pairs. The data is
 * split by whole text blocks or pairs, replayed from the champion's text or pairs, checked, trained through the
 * runtime's gpt2 adapter from the champion, and judged on held-out and golden loss and perplexity; the gating,
 * registration and promotion are the classifier rounds' own ({@link ContinuousLearning}).
 */
final class LanguageModelRound {
    /** The training text a causal-lm round keeps in its challenger (beside {@code heldout.txt}). */
    static final String TRAIN_TEXT = "train.txt";
    static final String HELDOUT_TEXT = "heldout.txt";
    /** Why the bias gate does not apply, as the round record and the docs say it. */
    static final String BIAS_NOT_APPLICABLE = "the bias figures (flip rate, parity, equalized odds) compare a "
            + "classifier's predicted labels across groups of probe sentences; a language model predicts no labels, "
            + "so no bias gate is run: gate its text with perplexity or loss on golden texts instead";

    private LanguageModelRound() { }

    /**
     * What a language model's round trains and judges on.
     *
     * @param train          the training file (text, or JSONL pairs)
     * @param heldout        the held-out file (text, or JSONL pairs)
     * @param heldoutPairs   the held-out pairs (prompt-response), or null
     * @param golden         golden text or pair files by name
     * @param goldenPairs    golden pairs by name (prompt-response), else empty
     * @param prompts        golden prompts for the serving check
     * @param shadowPrompts  captured prompts for the shadow check, or null
     * @param lineage        what the round record says about the data
     */
    record Prepared(Path train, Path heldout, List<LabelledRow> heldoutPairs, Map<String, Path> golden,
            Map<String, List<LabelledRow>> goldenPairs, List<String> prompts, List<String> shadowPrompts,
            Map<String, Object> lineage) { }

    /** Refuses, before any data is read, what a language model's round cannot do. */
    static void validate(ContinuousLearning.Settings s, AdaptationTask task, Path championDir) {
        List<String> refusals = new ArrayList<>();
        String kind = name(task);
        for (Gate g : s.gates()) {
            if (g.kind() == GateKind.BIAS) {
                refusals.add("gate '" + g.expression() + "' is a bias gate: " + BIAS_NOT_APPLICABLE);
            } else if (g.kind() != GateKind.FORGETTING && GateMetric.CLASSIFIER_ONLY.contains(g.metric())) {
                refusals.add("gate '" + g.expression() + "' measures a classifier's predictions, which a " + kind
                        + " model does not make; gate on loss or perplexity (e.g. 'perplexity:min_rel_change=0.05', "
                        + "'forgetting<=0.05' on --golden texts) or shadow_agreement");
            }
        }
        if (s.biasProbes() != null) {
            refusals.add("bias probes were given, but " + BIAS_NOT_APPLICABLE);
        }
        if (s.reweighing() != null || s.counterfactuals() != null) {
            refusals.add("reweighing and counterfactual augmentation act on labelled classifier rows; a " + kind
                    + " round takes neither (drop --reweigh and --cda)");
        }
        if (task == AdaptationTask.CAUSAL_LM && s.newData().path() == null) {
            refusals.add("a causal-lm round reads new text from a file (newData(Path), --data NEW.txt); rows supplied "
                    + "in code are labelled examples");
        }
        if (!refusals.isEmpty()) {
            throw new InvalidInputException("the champion " + championDir + " is a gpt2 " + kind + " model; "
                    + String.join("; ", refusals));
        }
    }

    /**
     * The gates of a language model's round: {@code forgetting<=D} reads as "the mean next-token loss on each
     * golden text may rise at most D nats above the champion's" (perplexity by at most a factor e^D).
     */
    static List<Gate> gates(List<Gate> configured) {
        List<Gate> out = new ArrayList<>();
        for (Gate g : configured) {
            if (g.kind() == GateKind.FORGETTING) {
                Double d = g.threshold().minAbsoluteChange();
                out.add(new Gate(g.expression(), GateKind.FORGETTING, LanguageModelEvaluation.LOSS, g.set(),
                        new MetricThreshold(null, d, null, false)));
            } else {
                out.add(g);
            }
        }
        return out;
    }

    static Prepared prepare(ContinuousLearning.Settings s, AdaptationTask task, ModelVersion champion, Path championDir,
            Path roundDir, Consumer<String> say) {
        Tokenizer tokenizer = ModelFolder.readTokenizer(championDir);
        int context = ((Gpt2Config) ModelFolder.readConfig(championDir)).nPositions();
        return task == AdaptationTask.CAUSAL_LM
                ? prepareText(s, champion, championDir, roundDir, tokenizer, context, say)
                : preparePairs(s, champion, championDir, roundDir, tokenizer, context, say);
    }

    private static Prepared prepareText(ContinuousLearning.Settings s, ModelVersion champion, Path championDir,
            Path roundDir, Tokenizer tokenizer, int context, Consumer<String> say) {
        Path file = s.newData().path();
        refusePairs(file);
        List<String> refusals = new ArrayList<>();
        List<DataChecks.Finding> findings = new ArrayList<>();
        String text = TextBlocks.read(file);
        List<String> blocks = TextBlocks.cut(text);
        TextBlocks.Split split = TextBlocks.split(blocks, s.heldoutFraction(), s.seed());
        Map<String, Object> lineage = new LinkedHashMap<>();
        ContinuousLearning.recordNewData(lineage, s.newData());
        lineage.put("new_blocks", blocks.size());
        lineage.put("new_train_blocks", split.train().size());
        lineage.put("heldout_blocks", split.heldout().size());
        lineage.put("heldout_fraction", s.heldoutFraction());
        lineage.put("block_rule", "blocks end at a line end: at a blank line once " + TextBlocks.MIN_CHARS
                + " characters long, at any line once " + 4 * TextBlocks.MIN_CHARS);
        if (blocks.isEmpty()) {
            refusals.add("the new text " + file + " is empty; give UTF-8 text (the files keel adapt --task causal-lm "
                    + "reads)");
        } else if (blocks.size() - split.duplicates() < 2) {
            refusals.add("the new text " + file + " is one block of " + text.length() + " characters, so nothing can "
                    + "be held out to judge the challenger; give more text, with line breaks (blocks end at a blank "
                    + "line once " + TextBlocks.MIN_CHARS + " characters long)");
        }
        if (split.duplicates() > 0) {
            findings.add(new DataChecks.Finding(DataChecks.Level.INFO, "duplicates", split.duplicates(),
                    split.duplicates() + " repeated blocks of the new text were kept once"));
        }
        String vocabulary = encodes(tokenizer, text, "the new text " + file);
        if (vocabulary != null) {
            refusals.add(vocabulary);
        }

        List<String> replay = List.of();
        if (s.replayFraction() > 0 && refusals.isEmpty()) {
            Pool pool = textPool(s, champion, championDir, tokenizer);
            replay = TextBlocks.sample(TextBlocks.cut(pool.text), TextBlocks.chars(split.train()), s.replayFraction(),
                    s.seed());
            lineage.put("replay", replayLineage(pool, replay.size(), TextBlocks.chars(replay), s.replayFraction()));
        } else {
            lineage.put("replay", Map.of("blocks", 0, "fraction", s.replayFraction()));
        }

        Map<String, Path> golden = new LinkedHashMap<>();
        List<String> goldenTexts = new ArrayList<>();
        s.golden().forEach((name, path) -> {
            refusePairs(path);
            golden.put(name, path);
            goldenTexts.add(TextBlocks.read(path));
        });
        List<String> evaluated = new ArrayList<>(List.of(TextBlocks.join(split.heldout())));
        evaluated.addAll(goldenTexts);
        // leakage: a training block that is, or holds a long line of, held-out or golden text
        Set<String> keys = TextBlocks.evaluationKeys(evaluated);
        List<String> train = new ArrayList<>();
        int leaked = 0;
        for (String b : TextBlocks.mix(split.train(), replay, s.seed())) {
            if (TextBlocks.leaks(b, keys)) {
                leaked++;
            } else {
                train.add(b);
            }
        }
        leakage(s, leaked, "training blocks (new or replayed) hold held-out or golden text", refusals, findings);

        int heldTokens = split.heldout().isEmpty() ? 0 : tokenizer.encode(TextBlocks.join(split.heldout())).length;
        if (refusals.isEmpty() && heldTokens <= context) {
            refusals.add("the held-out part of the new text holds " + heldTokens + " tokens, less than one context of "
                    + (context + 1) + " to score; give more text or raise the held-out fraction (--heldout-fraction)");
        }
        int trainTokens = train.isEmpty() ? 0 : tokenizer.encode(TextBlocks.join(train)).length;
        if (refusals.isEmpty() && trainTokens <= context) {
            refusals.add("the training text holds " + trainTokens + " tokens, less than one block of " + (context + 1)
                    + "; give more new text");
        }
        refuse(refusals);
        Path trainFile = roundDir.resolve(TRAIN_TEXT);
        Path heldoutFile = roundDir.resolve(HELDOUT_TEXT);
        AtomicFiles.writeString(trainFile, TextBlocks.join(train));
        AtomicFiles.writeString(heldoutFile, TextBlocks.join(split.heldout()));
        lineage.put("train", Map.of("blocks", train.size(), "characters", TextBlocks.chars(train), "tokens",
                trainTokens, "sha256", RowFiles.sha256(trainFile), "file", ContinuousLearning.DATA_DIR + "/" + TRAIN_TEXT));
        lineage.put("heldout", Map.of("blocks", split.heldout().size(), "tokens", heldTokens, "sha256",
                RowFiles.sha256(heldoutFile), "file", ContinuousLearning.DATA_DIR + "/" + HELDOUT_TEXT));
        finish(lineage, findings, say);

        List<String> prompts = new ArrayList<>();
        List<String> sources = new ArrayList<>(split.heldout());
        goldenTexts.forEach(g -> sources.addAll(TextBlocks.cut(g))); // read once, for leakage above
        for (String b : sources) {
            if (prompts.size() >= s.servingRequests()) {
                break;
            }
            String first = b.strip().split("\n")[0];
            String p = LanguageModelEvaluation.prompt(first.isBlank() ? b.strip() : first, tokenizer, context);
            if (p != null) {
                prompts.add(p);
            }
        }
        return new Prepared(trainFile, heldoutFile, null, golden, Map.of(), prompts,
                shadowPrompts(s, tokenizer, context), lineage);
    }

    private static Prepared preparePairs(ContinuousLearning.Settings s, ModelVersion champion, Path championDir,
            Path roundDir, Tokenizer tokenizer, int context, Consumer<String> say) {
        List<String> refusals = new ArrayList<>();
        List<DataChecks.Finding> findings = new ArrayList<>();
        List<LabelledRow> rows = readPairs(s, s.newData().path());
        Map<String, LabelledRow> unique = new LinkedHashMap<>();
        rows.forEach(r -> unique.putIfAbsent(TextKey.of(r.text()) + "\u0000" + TextKey.of(r.label()), r));
        List<LabelledRow> pairs = new ArrayList<>(unique.values());
        int held = StratifiedSplit.heldoutCount(pairs.size(), s.heldoutFraction());
        List<LabelledRow> shuffled = new ArrayList<>(pairs);
        Collections.shuffle(shuffled, new Random(s.seed()));
        List<LabelledRow> heldout = shuffled.subList(0, held);
        List<LabelledRow> fresh = shuffled.subList(held, shuffled.size());
        Map<String, Object> lineage = new LinkedHashMap<>();
        ContinuousLearning.recordNewData(lineage, s.newData());
        lineage.put("new_pairs", pairs.size());
        lineage.put("new_train_pairs", fresh.size());
        lineage.put("heldout_pairs", heldout.size());
        lineage.put("heldout_fraction", s.heldoutFraction());
        if (pairs.isEmpty()) {
            refusals.add("the new data holds no prompt/response pairs; give JSONL ({\"text\": PROMPT, \"label\": "
                    + "RESPONSE}) or TSV (prompt<TAB>response), as keel adapt --task prompt-response reads");
        } else if (pairs.size() < 2) {
            refusals.add("the new data holds one pair, so nothing can be held out to judge the challenger; give more "
                    + "pairs");
        }
        if (rows.size() > pairs.size()) {
            findings.add(new DataChecks.Finding(DataChecks.Level.INFO, "duplicates", rows.size() - pairs.size(),
                    (rows.size() - pairs.size()) + " repeated pairs of the new data were kept once"));
        }
        for (int i = 0; i < rows.size(); i++) {
            try {
                PromptResponse.encode(tokenizer, rows.get(i).text(), rows.get(i).label(), context, i + 1);
            } catch (InvalidInputException e) {
                refusals.add(e.getMessage()); // an empty or too long prompt, or text the vocabulary lacks
                break;
            }
        }
        String vocabulary = encodes(tokenizer, String.join("\n", rows.stream()
                .map(r -> r.text() + "\n" + r.label()).toList()), "the new pairs");
        if (vocabulary != null) {
            refusals.add(vocabulary);
        }

        List<LabelledRow> replay = List.of();
        if (s.replayFraction() > 0 && refusals.isEmpty()) {
            Pool pool = pairPool(s, champion, championDir);
            List<LabelledRow> p = new ArrayList<>(pool.rows);
            Collections.shuffle(p, new Random(s.seed()));
            replay = p.subList(0, Math.min(p.size(), Replay.count(fresh.size(), s.replayFraction()))).stream()
                    .map(r -> r.withSource(LabelledRow.REPLAY)).toList();
            lineage.put("replay", replayLineage(pool, replay.size(), 0, s.replayFraction()));
        } else {
            lineage.put("replay", Map.of("pairs", 0, "fraction", s.replayFraction()));
        }
        Map<String, Path> golden = new LinkedHashMap<>(s.golden());
        Map<String, List<LabelledRow>> goldenPairs = new LinkedHashMap<>();
        Set<String> evaluated = new HashSet<>();
        heldout.forEach(r -> evaluated.add(TextKey.of(r.text())));
        golden.forEach((name, path) -> {
            List<LabelledRow> g = readPairs(s, path);
            goldenPairs.put(name, g);
            g.forEach(r -> evaluated.add(TextKey.of(r.text())));
        });
        List<LabelledRow> train = new ArrayList<>();
        int leaked = 0;
        List<LabelledRow> mixed = new ArrayList<>(fresh);
        mixed.addAll(replay);
        for (LabelledRow r : mixed) {
            if (evaluated.contains(TextKey.of(r.text()))) {
                leaked++;
            } else {
                train.add(r);
            }
        }
        leakage(s, leaked, "training pairs (new or replayed) have the prompt of a held-out or golden pair",
                refusals, findings);
        if (refusals.isEmpty() && train.isEmpty()) {
            refusals.add("nothing is left to train on; give more pairs");
        }
        refuse(refusals);
        Path trainFile = RowFiles.write(roundDir.resolve(ContinuousLearning.TRAIN_FILE), train);
        Path heldoutFile = RowFiles.write(roundDir.resolve(ContinuousLearning.HELDOUT_FILE), heldout);
        lineage.put("train", Map.of("pairs", train.size(), "sha256", RowFiles.sha256(trainFile), "file",
                ContinuousLearning.DATA_DIR + "/" + ContinuousLearning.TRAIN_FILE));
        lineage.put("heldout", Map.of("pairs", heldout.size(), "sha256", RowFiles.sha256(heldoutFile), "file",
                ContinuousLearning.DATA_DIR + "/" + ContinuousLearning.HELDOUT_FILE));
        finish(lineage, findings, say);
        List<String> prompts = new ArrayList<>();
        List<LabelledRow> sources = new ArrayList<>(heldout);
        goldenPairs.values().forEach(sources::addAll);
        for (LabelledRow r : sources.subList(0, Math.min(sources.size(), s.servingRequests()))) {
            String p = LanguageModelEvaluation.prompt(r.text(), tokenizer, context);
            if (p != null) {
                prompts.add(p);
            }
        }
        return new Prepared(trainFile, heldoutFile, List.copyOf(heldout), golden, goldenPairs, prompts,
                shadowPrompts(s, tokenizer, context), lineage);
    }

    /** The plan: the champion's method, from its adapter (LoRA) or its weights (full, pretrained). */
    static TrainingPlan plan(ContinuousLearning.Settings s, AdaptationTask task, Path championDir, Prepared data,
            Path out) {
        AdaptationMethod championMethod = AdaptedModels.kind(championDir) == AdaptedModels.Kind.LORA
                ? AdaptationMethod.LORA : AdaptationMethod.FULL;
        AdaptationMethod method = s.method() != null ? s.method() : championMethod;
        if (method == AdaptationMethod.HEAD) {
            throw new InvalidInputException("a gpt2 " + name(task) + " champion iterates with --method lora or full; "
                    + "a head is a classifier");
        }
        boolean warm = method == championMethod && s.warmStart() && s.trainer().supportsWarmStart();
        // a LoRA champion's challenger trains on the same base; anything else builds on the champion's weights
        ModelRef base = championMethod == AdaptationMethod.LORA ? AdaptedModels.base(championDir)
                : ModelRef.of(championDir);
        LoraConfig lora = championMethod == AdaptationMethod.LORA ? ChampionFolders.lora(championDir) : s.lora();
        int epochs = s.epochs() != null ? s.epochs() : 3;
        double lr = s.learningRate() != null ? s.learningRate() : method == AdaptationMethod.LORA ? 1e-3 : 3e-4;
        return new TrainingPlan(method, base, warm ? championDir : null, data.train(), out, epochs, lr, s.batchSize(),
                blockSize(championDir), lora, 0, s.seed(), task,
                task == AdaptationTask.CAUSAL_LM ? data.heldout() : null);
    }

    /** The champion's training block (keel.json), else its context: the challenger trains on the same shape. */
    static int blockSize(Path championDir) {
        int context = ((Gpt2Config) ModelFolder.readConfig(championDir)).nPositions();
        Object b = ModelFolder.readMetadata(championDir).training().get("block_size");
        return b instanceof Number n && n.intValue() > 0 ? Math.min(context, n.intValue()) : context;
    }

    /** Champion and challenger on the held-out part, each golden set, the shadow prompts and each backend. */
    static RoundEvaluation.Measured measure(KeelRuntime runtime, AdaptationTask task, Path championDir,
            Path challengerDir, Prepared d, List<String> servingBackends, Consumer<String> say) {
        Map<String, Map<String, Double>> challenger = new LinkedHashMap<>();
        Map<String, Map<String, Double>> champion = new LinkedHashMap<>();
        Map<String, String> notes = new LinkedHashMap<>();
        say.accept("evaluating champion and challenger");
        try (InferenceSession c = runtime.open(ModelRef.of(challengerDir));
                InferenceSession b = runtime.open(ModelRef.of(championDir))) {
            for (InferenceSession session : List.of(c, b)) {
                Map<String, Map<String, Double>> into = session == c ? challenger : champion;
                if (task == AdaptationTask.CAUSAL_LM) {
                    into.put(GateMetric.HELDOUT, LanguageModelEvaluation.text(session, d.heldout(),
                            "the held-out new text"));
                    d.golden().forEach((name, file) -> into.put(name, LanguageModelEvaluation.text(session, file,
                            "golden text " + name)));
                } else {
                    into.put(GateMetric.HELDOUT, LanguageModelEvaluation.pairs(session, d.heldoutPairs(),
                            "the held-out new pairs"));
                    d.goldenPairs().forEach((name, rows) -> into.put(name, LanguageModelEvaluation.pairs(session, rows,
                            "golden pairs " + name)));
                }
            }
            if (d.shadowPrompts() != null) {
                Map<String, Map<String, Double>> shadow = LanguageModelEvaluation.shadow(b, c, d.shadowPrompts());
                challenger.put(GateMetric.SHADOW, shadow.get("challenger"));
                champion.put(GateMetric.SHADOW, shadow.get("champion"));
            }
        }
        RoundEvaluation.serving(runtime, championDir, challengerDir, servingBackends, d.prompts(),
                (session, prompt) -> LanguageModelEvaluation.greedy(session, prompt) != null, challenger, champion,
                notes, say);
        return new RoundEvaluation.Measured(new Evaluations(challenger, champion, List.copyOf(d.golden().keySet())),
                notes);
    }

    // ---- data helpers

    private record Pool(String text, List<LabelledRow> rows, String source, String sha256, boolean verified) { }

    /**
     * The text that made the champion: the training text a round kept in its folder, else the file given with
     * {@code --replay-data}, checked against the champion's lineage (a {@code keel adapt} text's sha-256, or the
     * pre-training corpus fingerprint of text and tokenizer that {@code keel pretrain} records).
     */
    private static Pool textPool(ContinuousLearning.Settings s, ModelVersion champion, Path championDir,
            Tokenizer tokenizer) {
        Path kept = championDir.resolve(ContinuousLearning.DATA_DIR).resolve(TRAIN_TEXT);
        if (Files.isRegularFile(kept)) {
            return new Pool(TextBlocks.read(kept), null, champion.ref() + " " + ContinuousLearning.DATA_DIR + "/"
                    + TRAIN_TEXT, RowFiles.sha256(kept), true);
        }
        Map<String, String> recorded = champion.lineage().data();
        Path file = requireReplayData(s, champion, recorded);
        String sha = RowFiles.sha256(file);
        boolean verified;
        if (recorded.containsKey("train")) {
            verified = recorded.get("train").equals(sha);
        } else if (recorded.containsKey("corpus")) {
            verified = recorded.get("corpus").equals(CorpusTokenizer.tokenize(TextCorpus.of(file), tokenizer,
                    dev.keel.spi.KeelCache.fromConfiguration()).fingerprint());
        } else {
            verified = false;
        }
        if (!verified && !recorded.isEmpty()) {
            throw new InvalidInputException("replay text " + file + " (sha-256 " + sha + ") is not the text the "
                    + "champion " + champion.ref() + " was trained on (its lineage records " + recorded + "); pass "
                    + "that text, or turn replay off (--replay-fraction 0)");
        }
        return new Pool(TextBlocks.read(file), null, file.toAbsolutePath().normalize().toString(), sha, verified);
    }

    private static Pool pairPool(ContinuousLearning.Settings s, ModelVersion champion, Path championDir) {
        Path kept = championDir.resolve(ContinuousLearning.DATA_DIR).resolve(ContinuousLearning.TRAIN_FILE);
        if (Files.isRegularFile(kept)) {
            return new Pool(null, RowFiles.read(kept), champion.ref() + " " + ContinuousLearning.DATA_DIR + "/"
                    + ContinuousLearning.TRAIN_FILE, RowFiles.sha256(kept), true);
        }
        Map<String, String> recorded = champion.lineage().data();
        Path file = requireReplayData(s, champion, recorded);
        String sha = RowFiles.sha256(file);
        String train = recorded.get("train");
        if (train != null && !train.equals(sha)) {
            throw new InvalidInputException("replay pairs " + file + " (sha-256 " + sha + ") are not the pairs the "
                    + "champion " + champion.ref() + " was trained on (its lineage says " + train + "); pass that "
                    + "file, or turn replay off (--replay-fraction 0)");
        }
        return new Pool(null, readPairs(s, file), file.toAbsolutePath().normalize().toString(), sha, train != null);
    }

    private static Path requireReplayData(ContinuousLearning.Settings s, ModelVersion champion,
            Map<String, String> recorded) {
        if (s.replayData() == null) {
            throw new InvalidInputException("replay needs the data that made the champion " + champion.ref()
                    + ", which was not trained by a round and does not keep it"
                    + (recorded.isEmpty() ? "" : " (its lineage records " + recorded + ")")
                    + "; pass that file (--replay-data FILE) or turn replay off (--replay-fraction 0)");
        }
        return s.replayData();
    }

    private static Map<String, Object> replayLineage(Pool pool, int units, long chars, double fraction) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("source", pool.source);
        r.put("sha256", pool.sha256);
        r.put("verified", pool.verified);
        if (pool.text != null) {
            r.put("pool_characters", pool.text.length());
            r.put("blocks", units);
            r.put("characters", chars);
        } else {
            r.put("pool_pairs", pool.rows.size());
            r.put("pairs", units);
        }
        r.put("fraction", fraction);
        return r;
    }

    /** Pairs from a file, or an error that says the file is plain text when it is. */
    private static List<LabelledRow> readPairs(ContinuousLearning.Settings s, Path file) {
        if (file != null && isPlainText(file)) {
            throw new InvalidInputException(file + " is plain text, but the champion is a prompt-response model that "
                    + "iterates on prompt/response pairs; give JSONL ({\"text\": PROMPT, \"label\": RESPONSE}) or TSV "
                    + "(prompt<TAB>response), or iterate a causal-lm champion on text");
        }
        if (file == null) {
            return s.newData().rows();
        }
        try {
            return RowFiles.read(file).stream().map(r -> r.withSource(LabelledRow.NEW)).toList();
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + " is not prompt/response pairs: " + e.getMessage(), e);
        }
    }

    private static boolean isPlainText(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isDirectory(file) || n.endsWith(".txt") || n.endsWith(".text") || n.endsWith(".md");
    }

    /** Refuses pairs given where text belongs: a labelled file, or lines that are JSON objects or tab-separated. */
    static void refusePairs(Path file) {
        if (file == null || Files.isDirectory(file)) {
            return;
        }
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean labelledName = n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")
                || n.endsWith(".tsv") || n.endsWith(".csv");
        int pairs = 0;
        int lines = 0;
        if (Files.isRegularFile(file)) {
            try (var reader = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null && lines < 200) {
                    if (line.isBlank()) {
                        continue;
                    }
                    lines++;
                    String t = line.strip();
                    if ((t.startsWith("{") && t.endsWith("}")) || line.indexOf('\t') > 0) {
                        pairs++;
                    }
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                return; // unreadable as UTF-8: the text reader says so with its own message
            }
        }
        if (labelledName || (lines > 0 && pairs * 2 > lines)) {
            int rows;
            try {
                rows = LabelledFiles.readLabelled(file).size();
            } catch (RuntimeException e) {
                rows = -1;
            }
            if (labelledName || rows > 0) {
                throw new InvalidInputException(file + " holds labelled rows or prompt/response pairs"
                        + (rows > 0 ? " (" + rows + ")" : "") + ", but the champion is a causal language model that "
                        + "iterates on plain text; give UTF-8 text (a .txt file or a folder of them), or iterate a "
                        + "prompt-response champion on pairs");
            }
        }
    }

    /** Null when the tokenizer reads the text, else why not. */
    private static String encodes(Tokenizer tokenizer, String text, String what) {
        try {
            tokenizer.encode(text);
            return null;
        } catch (InvalidInputException e) {
            return what + " cannot be read by the champion's tokenizer: " + e.getMessage();
        }
    }

    private static void leakage(ContinuousLearning.Settings s, int leaked, String what, List<String> refusals,
            List<DataChecks.Finding> findings) {
        if (leaked == 0) {
            return;
        }
        if (s.leakage() == DataChecks.Leakage.REFUSE) {
            refusals.add(leaked + " " + what + " (leakage); remove them from the new or replay data, or drop them "
                    + "(--leakage drop)");
        } else {
            findings.add(new DataChecks.Finding(DataChecks.Level.WARN, "leakage", leaked, leaked + " " + what
                    + "; dropped from training"));
        }
    }

    private static void refuse(List<String> refusals) {
        if (!refusals.isEmpty()) {
            throw new InvalidInputException("the round's data was refused before training: "
                    + String.join("; ", refusals));
        }
    }

    private static void finish(Map<String, Object> lineage, List<DataChecks.Finding> findings, Consumer<String> say) {
        lineage.put("findings", findings.stream().map(DataChecks.Finding::toMap).toList());
        lineage.put("not_applicable", Map.of("bias", BIAS_NOT_APPLICABLE));
        findings.forEach(f -> say.accept("  data " + f.level().name().toLowerCase(Locale.ROOT) + ": " + f.message()));
    }

    private static List<String> shadowPrompts(ContinuousLearning.Settings s, Tokenizer tokenizer, int context) {
        if (s.shadow() == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (CapturedInput in : s.shadow().last(s.shadowInputs())) {
            try {
                out.add(LanguageModelEvaluation.prompt(in.text(), tokenizer, context));
            } catch (KeelException e) {
                out.add(null); // a prompt the champion's tokenizer cannot read is not replayed
            }
        }
        return out;
    }

    static String name(AdaptationTask task) {
        return task.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
