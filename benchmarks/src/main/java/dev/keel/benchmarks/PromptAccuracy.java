package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Greedy answers of an adapted gpt2 on {@code prompt<TAB>response} pairs: the share whose answer starts like
 * the expected response (its first three characters), on each backend named. Used by
 * {@code bin/bench-gpt2-prompt}.
 *
 * <pre>java -cp CP dev.keel.benchmarks.PromptAccuracy MODEL_DIR PAIRS.tsv djl,onnx</pre>
 */
public final class PromptAccuracy {
    private PromptAccuracy() { }

    public static void main(String[] args) throws Exception {
        List<String> rows = Files.readAllLines(Path.of(args[1]));
        for (String backend : args[2].split(",")) {
            int right = 0;
            try (InferenceSession s = KeelRuntime.builder().backend(backend).build().open(ModelRef.parse(args[0]))) {
                for (String row : rows) {
                    String[] p = row.split("\t");
                    String out = s.generate(GenerationRequest.builder().prompt(p[0]).maxTokens(4).temperature(0).build()).text();
                    if (out.strip().startsWith(p[1].strip().substring(0, 3))) {
                        right++;
                    }
                }
            }
            System.out.printf("%s %s: %d/%d = %.4f%n", args[0], backend, right, rows.size(), right / (double) rows.size());
        }
    }
}
