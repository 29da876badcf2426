package dev.keel.benchmarks;

import dev.keel.api.tokenize.Tokenizer;
import dev.keel.iterate.data.BundledData;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.RowFiles;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One continuous-learning round of a gpt2 causal LM (issue 11's language-model half), side by side: a character
 * model pre-trained by {@code keel pretrain} on Tiny Shakespeare is the champion; the new text is another domain,
 * the 1,000 product and restaurant review sentences bundled with keel-iterate (the sentences whose characters the
 * model's vocabulary holds, five to a paragraph). Each round runs {@code keel iterate} in its own JVM under
 * {@code /usr/bin/time} and prints: perplexity on the round's held-out review blocks, on the 300 other bundled
 * reviews (never trained on), and on Shakespeare's validation text (the last 10% of the corpus, as pre-training
 * split it), champion and challenger; the gates; wall time; peak RSS. Rounds: full fine-tuning with replay
 * (fraction {@code keel.bench.replay}, default 0.2) and without, and LoRA with replay.
 *
 * <pre>
 * bin/bench IterateLanguageModelBenchmark GPT2_DIR SHAKESPEARE_TXT WORK_DIR
 * </pre>
 * {@code -Dkeel.bench.lr} and {@code -Dkeel.bench.epochs} override the round's defaults.
 */
public final class IterateLanguageModelBenchmark {
    private IterateLanguageModelBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path champion = Path.of(args[0]);
        Path corpus = Path.of(args[1]);
        Path work = Path.of(args[2]);
        Files.createDirectories(work);
        Tokenizer tokenizer = ModelFolder.readTokenizer(champion);
        Path data = work.resolve("data");
        Path fresh = text(BundledData.extract(BundledData.REVIEWS_NEW, data), tokenizer, data.resolve("reviews-new.txt"));
        Path reviews = text(BundledData.extract(BundledData.REVIEWS_HELDOUT, data), tokenizer,
                data.resolve("reviews-heldout.txt"));
        String all = Files.readString(corpus, StandardCharsets.UTF_8);
        int cut = (int) Math.floor(all.length() * 0.9);
        Path val = data.resolve("shakespeare-val.txt");
        AtomicFiles.writeString(val, all.substring(cut));
        String replay = System.getProperty("keel.bench.replay", "0.2");

        List<String> rows = new ArrayList<>();
        rows.add(round(champion, corpus, work, fresh, reviews, val, "full", replay));
        rows.add(round(champion, corpus, work, fresh, reviews, val, "full", "0"));
        rows.add(round(champion, corpus, work, fresh, reviews, val, "lora", replay));
        System.out.println();
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores; shared with other "
                + "engineers during the run (load varies), so times are indicative");
        System.out.println(String.format(Locale.ROOT, "%-18s %-26s %-26s %-26s %-8s %7s %8s", "round",
                "heldout ppl", "reviews-heldout ppl", "shakespeare-val ppl", "gates", "wall_s", "peak_MB"));
        rows.forEach(System.out::println);
    }

    /** The sentences of a bundled review file that the model can read, five to a paragraph. */
    static Path text(Path tsv, Tokenizer tokenizer, Path out) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (LabelledRow r : RowFiles.read(tsv)) {
            try {
                tokenizer.encode(r.text());
            } catch (RuntimeException e) {
                continue; // a character the Shakespeare vocabulary lacks (digits, say)
            }
            sb.append(r.text().strip()).append('\n');
            if (++n % 5 == 0) {
                sb.append('\n');
            }
        }
        AtomicFiles.writeString(out, sb.toString());
        System.out.println(out.getFileName() + ": " + n + " sentences, " + sb.length() + " characters");
        return out;
    }

    static String round(Path champion, Path corpus, Path work, Path fresh, Path reviews, Path val, String method,
            String replay) throws Exception {
        String tag = method + "-replay-" + replay;
        Path registry = work.resolve("registry-" + tag);
        AtomicFiles.deleteTree(registry);
        AdaptBenchmark.keel(List.of("registry", "register", "--registry", registry.toString(), "--name", "bard",
                "--model", champion.toString(), "--alias", "champion", "--json"));
        List<String> args = new ArrayList<>(List.of("iterate", "--registry", registry.toString(), "--name", "bard",
                "--data", fresh.toString(), "--replay-data", corpus.toString(), "--replay-fraction", replay,
                "--golden", val.toString(), "--golden", reviews.toString(), "--method", method,
                "--gate", "perplexity:min_rel_change=0.05", "--gate", "forgetting@shakespeare-val<=0.05",
                "--work", work.resolve("work").toString(), "--json"));
        AdaptBenchmark.Run r = AdaptBenchmark.keel(IterateBenchmark.withOverrides(args));
        Map<String, Map<String, Map<String, Double>>> m = IterateBenchmark.metrics(r);
        return String.format(Locale.ROOT, "%-18s %-26s %-26s %-26s %-8s %7.0f %8.0f", tag, pair(m, "heldout"),
                pair(m, "reviews-heldout"), pair(m, "shakespeare-val"),
                Boolean.TRUE.equals(r.json().get("gates_passed")) ? "passed" : "refused", r.wallSeconds(),
                r.peakKb() / 1024.0);
    }

    private static String pair(Map<String, Map<String, Map<String, Double>>> m, String set) {
        double before = m.get(set).get("champion").get("perplexity");
        double after = m.get(set).get("challenger").get("perplexity");
        return String.format(Locale.ROOT, "%.3f -> %.3f (%+.1f%%)", before, after, 100 * (after / before - 1));
    }
}
