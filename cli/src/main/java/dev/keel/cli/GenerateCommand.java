package dev.keel.cli;

import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.TokenListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keel generate}: samples text from a causal LM, optionally streaming it as it is decoded. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Sample text from a causal LM.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR|registry:NAME@ALIAS", description = "model folder or registry reference")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the text to continue")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "200", description = "new tokens at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "keep the k likeliest tokens, 0 keeps all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus mass, 1 keeps all (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--stop", paramLabel = "TEXT", description = "end the text at this string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stream", description = "print the text as it is generated")
    boolean stream;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        GenerationRequest request = GenerationRequest.builder().prompt(prompt).maxTokens(maxTokens)
                .temperature(temperature).topK(topK).topP(topP).stop(stop).seed(common.seed).build();
        // under --json stdout carries only the JSON line, so the stream goes to stderr
        PrintStream streamTo = common.json ? System.err : System.out;
        TokenListener listener = stream ? (id, piece) -> {
            streamTo.print(piece);
            streamTo.flush();
        } : TokenListener.NONE;
        try (InferenceSession session = common.runtime().open(common.modelFolder(model))) {
            if (stream) {
                streamTo.print(prompt);
            }
            GenerationResult r = session.generate(request, listener);
            if (stream) {
                streamTo.println();
            } else if (!common.json) {
                System.out.println(prompt + r.text());
            }
            console.say(String.format("%d tokens, %.1f ms to the first, %.2f ms/token after (%s)", r.tokenCount(),
                    r.timeToFirstTokenMs(), r.msPerToken(), r.stopReason()));
            if (common.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("text", r.text());
                json.put("tokens", r.tokenCount());
                json.put("ms_per_token", r.msPerToken());
                json.put("time_to_first_token_ms", r.timeToFirstTokenMs());
                json.put("stop_reason", r.stopReason().label());
                console.result(json);
            }
        }
        return 0;
    }
}
