package dev.keel.cli;

import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.InferenceSession;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keel evaluate}: a full, deterministic loss over a corpus split in non-overlapping blocks. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Score a causal LM on a corpus split: mean loss and perplexity over non-overlapping blocks.")
public final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR|registry:NAME@ALIAS", description = "model folder or registry reference")
    String model;

    @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "UTF-8 text file or folder")
    Path corpus;

    @Option(names = "--split", defaultValue = "val", paramLabel = "train|val|all",
            description = "which part of the corpus (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--spark", paramLabel = "MASTER_URL", description = SparkVerbs.OPTION_HELP)
    String spark;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        Split which = Split.parse(split);
        if (spark != null) {
            return SparkVerbs.evaluate(this, which, console);
        }
        try (InferenceSession session = common.runtime().open(common.modelFolder(model))) {
            console.say("evaluating " + model + " on the " + split + " split of " + corpus + " ("
                    + session.info().backend() + ", " + session.info().device() + ")");
            long start = System.nanoTime();
            EvaluationResult r = session.evaluate(TextCorpus.of(corpus).requireExists(), which);
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("loss", r.loss());
            json.put("perplexity", r.perplexity());
            json.put("tokens", r.tokens());
            json.put("tokens_per_s", r.tokens() / Math.max(seconds, 1e-9));
            console.result(json);
        }
        return 0;
    }
}
