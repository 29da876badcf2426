package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.tck.KitModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --spark local[2]} gives what the verb gives without it: the same files byte for byte and the same
 * JSON (timing keys aside), on samples small enough for the default build.
 */
class SparkVerbsTest {
    private static final String SPARK = "local[2]";

    @TempDir
    static Path dir;
    static Path classifier;

    @BeforeAll
    static void adaptAHeadOnATinyBert() throws IOException {
        Path base = AdaptClassifyTest.tinyBert(dir.resolve("base"));
        Path train = AdaptClassifyTest.sentiment(dir.resolve("train.tsv"), 96, 1);
        classifier = dir.resolve("head");
        CliRunner.Result a = CliRunner.run("adapt", "--base", base.toString(), "--method", "head", "--train",
                train.toString(), "--out", classifier.toString(), "--epochs", "2", "--max-length", "24");
        assertThat(a.exitCode()).as(a.err()).isZero();
    }

    private static Map<String, Object> json(CliRunner.Result r) {
        assertThat(r.exitCode()).as(r.err()).isZero();
        return Json.parseObject(r.lastLine(), "verb output");
    }

    private static void sameJson(Map<String, Object> local, Map<String, Object> spark, String... timingKeys) {
        for (String k : timingKeys) {
            assertThat(spark).containsKey(k);
            local.remove(k);
            spark.remove(k);
        }
        assertThat(spark).isEqualTo(local);
    }

    @Test
    void embed_writes_the_same_vectors_file_and_json() throws IOException {
        // the tiny bert's vocabulary is lower-case letters and spaces
        Path in = Files.write(dir.resolve("lines.txt"), Files.readAllLines(AdaptClassifyTest.sentiment(
                dir.resolve("lines.tsv"), 60, 3)).stream().map(l -> l.substring(0, l.lastIndexOf('\t'))).toList());
        Map<String, Object> local = json(CliRunner.run("embed", "--json", "--model", classifier.resolveSibling("base")
                .toString(), "--input", in.toString(), "--out", dir.resolve("local.jsonl").toString()));
        Map<String, Object> spark = json(CliRunner.run("embed", "--json", "--model", classifier.resolveSibling("base")
                .toString(), "--input", in.toString(), "--out", dir.resolve("spark.jsonl").toString(), "--spark", SPARK));
        assertThat(Files.readString(dir.resolve("spark.jsonl"))).isEqualTo(Files.readString(dir.resolve("local.jsonl")));
        local.put("out", "");
        spark.put("out", "");
        sameJson(local, spark, "sentences_per_s");
    }

    /**
     * The same labelled sentences as TSV, CSV (with a quoted note column, one record's note over two lines: the
     * tiny model's vocabulary has no newline for a text) and JSONL.
     */
    private static List<Path> formats(String name, int n, long seed) throws IOException {
        List<String> tsv = Files.readAllLines(AdaptClassifyTest.sentiment(dir.resolve(name + ".tsv"), n, seed));
        List<String> csv = new ArrayList<>(List.of("text,note,label"));
        List<String> jsonl = new ArrayList<>();
        for (int i = 0; i < tsv.size(); i++) {
            String text = tsv.get(i).substring(0, tsv.get(i).lastIndexOf('\t'));
            String label = tsv.get(i).substring(tsv.get(i).lastIndexOf('\t') + 1);
            csv.add("\"" + text + "\"," + (i == n / 2 ? "\"first, line\nsecond \"\"line\"\"\"" : "x") + "," + label);
            jsonl.add(Json.compact(Map.of("text", text, "label", label)));
        }
        return List.of(dir.resolve(name + ".tsv"), Files.write(dir.resolve(name + ".csv"), csv),
                Files.write(dir.resolve(name + ".jsonl"), jsonl));
    }

    private static String[] withSpark(String... args) {
        String[] out = Arrays.copyOf(args, args.length + 2);
        out[args.length] = "--spark";
        out[args.length + 1] = SPARK;
        return out;
    }

    @Test
    void classify_reads_tsv_csv_and_jsonl_with_spark_into_the_same_predictions_and_metrics() throws IOException {
        for (Path in : formats("dev", 40, 7)) {
            String name = in.getFileName().toString();
            Path localOut = dir.resolve("p-local-" + name + ".jsonl");
            Path sparkOut = dir.resolve("p-spark-" + name + ".jsonl");
            Map<String, Object> local = json(CliRunner.run("classify", "--json", "--model", classifier.toString(),
                    "--input", in.toString(), "--out", localOut.toString()));
            Map<String, Object> spark = json(CliRunner.run(withSpark("classify", "--json", "--model",
                    classifier.toString(), "--input", in.toString(), "--out", sparkOut.toString())));
            assertThat(Files.readString(sparkOut)).as(name).isEqualTo(Files.readString(localOut));
            assertThat(spark).as(name).containsKeys("accuracy", "macro_f1", "ece");
            local.put("out", "");
            spark.put("out", "");
            sameJson(local, spark, "sentences_per_s");
            // without --out the partitions are tallied where they are: the metrics are still the same doubles
            String[] args = {"classify", "--json", "--model", classifier.toString(), "--input", in.toString()};
            sameJson(json(CliRunner.run(args)), json(CliRunner.run(withSpark(args))), "sentences_per_s");
        }
    }

    @Test
    void classify_of_unlabelled_lines_shows_the_same_first_predictions() throws IOException {
        List<String> texts = Files.readAllLines(AdaptClassifyTest.sentiment(dir.resolve("plain.tsv"), 45, 9)).stream()
                .map(l -> l.substring(0, l.lastIndexOf('\t'))).toList();
        Path in = Files.write(dir.resolve("plain.txt"), texts);
        String[] args = {"classify", "--model", classifier.toString(), "--input", in.toString()};
        CliRunner.Result local = CliRunner.run(args);
        CliRunner.Result spark = CliRunner.run(withSpark(args));
        assertThat(spark.exitCode()).as(spark.err()).isZero();
        List<String> shown = shownPredictions(local.out());
        assertThat(shown).hasSize(20);
        assertThat(shownPredictions(spark.out())).isEqualTo(shown);
    }

    private static List<String> shownPredictions(String out) {
        return out.lines().filter(l -> l.contains("the film was")).toList();
    }

    @Test
    void bad_input_fails_with_spark_as_it_fails_without_naming_the_file_and_line() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(AdaptClassifyTest.sentiment(dir.resolve("bad.tsv"), 30, 11)));
        List<String> jsonl = lines.stream().map(l -> Json.compact(Map.of("text", l.substring(0, l.lastIndexOf('\t')),
                "label", l.substring(l.lastIndexOf('\t') + 1)))).collect(java.util.stream.Collectors.toList());
        jsonl.set(21, "{\"label\": \"pos\"}");
        Path noText = Files.write(dir.resolve("bad.jsonl"), jsonl);
        lines.set(17, "the film was good\tmeh");
        Path unknownLabel = Files.write(dir.resolve("bad.tsv"), lines);
        lines.set(17, "the film was good");
        Path mixed = Files.write(dir.resolve("mixed.tsv"), lines);
        for (Path in : List.of(noText, unknownLabel, mixed)) {
            String[] args = {"classify", "--model", classifier.toString(), "--input", in.toString()};
            CliRunner.Result local = CliRunner.run(args);
            CliRunner.Result spark = CliRunner.run(withSpark(args));
            assertThat(local.exitCode()).as(local.err()).isEqualTo(2);
            assertThat(spark.exitCode()).as(spark.err()).isEqualTo(2);
            assertThat(spark.err()).as(in.toString()).isEqualTo(local.err()).contains(in.toString());
        }
        String[] drift = {"drift", "--reference", noText.toString(), "--current", mixed.toString()};
        assertThat(CliRunner.run(withSpark(drift)).err()).isEqualTo(CliRunner.run(drift).err()).contains("line 22");
    }

    @Test
    void drift_reads_csv_and_jsonl_with_spark_into_the_same_tests() throws IOException {
        List<Path> ref = formats("dref", 200, 12);
        List<Path> cur = formats("dcur", 90, 13);
        for (int i = 1; i < 3; i++) {
            String[] args = {"drift", "--json", "--reference", ref.get(i).toString(), "--current", cur.get(i).toString()};
            assertThat(json(CliRunner.run(withSpark(args)))).as(ref.get(i).toString()).isEqualTo(json(CliRunner.run(args)));
        }
    }

    @Test
    void drift_reports_the_same_tests_and_verdict() throws IOException {
        String[] args = {"drift", "--json", "--reference", AdaptClassifyTest.sentiment(dir.resolve("ref.tsv"), 300, 4)
            .toString(), "--current", AdaptClassifyTest.sentiment(dir.resolve("cur.tsv"), 120, 5).toString(), "--model",
            classifier.resolveSibling("base").toString(), "--max-embed", "40"};
        Map<String, Object> local = json(CliRunner.run(args));
        String[] withSpark = java.util.Arrays.copyOf(args, args.length + 2);
        withSpark[args.length] = "--spark";
        withSpark[args.length + 1] = SPARK;
        assertThat(json(CliRunner.run(withSpark))).isEqualTo(local);
    }

    @Test
    void evaluate_scores_the_same_tokens_to_the_same_loss() {
        Path model = KitModels.writeGpt2(dir.resolve("gpt2"), KitModels.randomGpt2(KitModels.GPT2, 5));
        Path corpus = KitModels.writeCorpus(dir.resolve("corpus"));
        String[] args = {"evaluate", "--json", "--model", model.toString(), "--corpus", corpus.toString(), "--split", "all"};
        Map<String, Object> local = json(CliRunner.run(args));
        Map<String, Object> spark = json(CliRunner.run(List.of(args[0], args[1], args[2], args[3], args[4], args[5],
                args[6], args[7], "--spark", SPARK).toArray(String[]::new)));
        assertThat(spark.get("tokens")).isEqualTo(local.get("tokens"));
        // the engine's fused loss and Java's log-softmax over the same logits agree to float precision
        assertThat(((Number) spark.get("loss")).doubleValue())
                .isCloseTo(((Number) local.get("loss")).doubleValue(), within(1e-5));
        assertThat(spark.keySet()).isEqualTo(local.keySet());
    }

    @Test
    void a_verb_without_spark_on_the_class_path_would_say_how_to_get_it() {
        CliRunner.Result r = CliRunner.run("embed", "--model", "builtin:all-minilm-l6-v2", "--input",
                dir.resolve("missing.txt").toString(), "--out", dir.resolve("x.jsonl").toString(), "--spark", SPARK);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("missing.txt");
    }
}
