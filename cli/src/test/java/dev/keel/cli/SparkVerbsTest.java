package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.tck.KitModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void classify_writes_the_same_predictions_and_metrics() throws IOException {
        Path in = AdaptClassifyTest.sentiment(dir.resolve("dev.tsv"), 40, 7);
        Map<String, Object> local = json(CliRunner.run("classify", "--json", "--model", classifier.toString(), "--input",
                in.toString(), "--out", dir.resolve("p-local.jsonl").toString()));
        Map<String, Object> spark = json(CliRunner.run("classify", "--json", "--model", classifier.toString(), "--input",
                in.toString(), "--out", dir.resolve("p-spark.jsonl").toString(), "--spark", SPARK));
        assertThat(Files.readString(dir.resolve("p-spark.jsonl"))).isEqualTo(Files.readString(dir.resolve("p-local.jsonl")));
        assertThat(spark).containsKeys("accuracy", "macro_f1", "ece");
        local.put("out", "");
        spark.put("out", "");
        sameJson(local, spark, "sentences_per_s");
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
