package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdaptClassifyTest {
    @TempDir
    Path dir;
    Path base;
    Path train;
    Path dev;

    /** A small random bert folder written with plain Java (normal 0.02 weights, unit LayerNorms). */
    static Path tinyBert(Path dir) {
        CharTokenizer tok = CharTokenizer.fromText(" abcdefghijklmnopqrstuvwxyz");
        BertConfig c = new BertConfig(tok.vocabSize(), 32, 1, 4, 64, 64, 2, 0.0, 0.0, 1e-12, List.of());
        Random r = new Random(3);
        List<Tensor> tensors = new ArrayList<>();
        BertLayout.shapes(c).forEach((name, shape) -> {
            float[] v = new float[(int) Tensor.elementCount(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = name.contains("LayerNorm.weight") ? 1f : name.endsWith("bias") ? 0f : (float) r.nextGaussian() * 0.02f;
            }
            tensors.add(Tensor.ofFloats(name, shape, v));
        });
        ModelFolder.write(dir, c, tensors, tok, KeelMetadata.create("test", "random"));
        return dir;
    }

    static Path sentiment(Path file, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] pos = {"good", "great", "nice"};
        String[] neg = {"bad", "awful", "poor"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean p = r.nextBoolean();
            lines.add("the film was " + (p ? pos[r.nextInt(3)] : neg[r.nextInt(3)]) + "\t" + (p ? "pos" : "neg"));
        }
        return Files.write(file, lines);
    }

    @BeforeEach
    void data() throws IOException {
        base = tinyBert(dir.resolve("base"));
        train = sentiment(dir.resolve("train.tsv"), 96, 1);
        dev = sentiment(dir.resolve("dev.tsv"), 32, 2);
    }

    @Test
    void adapt_lora_then_classify_report_the_contract_keys() {
        Path out = dir.resolve("lora");
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--base", base.toString(), "--method", "lora",
                "--train", train.toString(), "--dev", dev.toString(), "--out", out.toString(), "--epochs", "2",
                "--lr", "1e-2", "--batch", "16", "--max-length", "24");
        assertThat(a.exitCode()).as(a.err()).isZero();
        Map<String, Object> j = Json.parseObject(a.lastLine(), "adapt output");
        assertThat(j).containsKeys("dev_accuracy", "dev_loss", "trainable_params", "total_params", "out");
        assertThat(((Number) j.get("trainable_params")).longValue())
                .isLessThan(((Number) j.get("total_params")).longValue());
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("lora");

        Path preds = dir.resolve("preds.jsonl");
        CliRunner.Result c = CliRunner.run("classify", "--json", "--model", out.toString(), "--input", dev.toString(),
                "--out", preds.toString());
        assertThat(c.exitCode()).as(c.err()).isZero();
        Map<String, Object> k = Json.parseObject(c.lastLine(), "classify output");
        assertThat(k).containsKeys("count", "accuracy", "macro_f1");
        assertThat(((Number) k.get("count")).intValue()).isEqualTo(32);
        assertThat(((Number) k.get("accuracy")).doubleValue())
                .isCloseTo(((Number) j.get("dev_accuracy")).doubleValue(), within(1e-9));
        assertThat(preds).exists();
    }

    @Test
    void a_head_trained_over_djl_classifies_the_same_on_onnx() throws IOException {
        Path out = dir.resolve("head");
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--backend", "djl", "--base", base.toString(),
                "--method", "head", "--train", train.toString(), "--dev", dev.toString(), "--out", out.toString(),
                "--epochs", "5", "--lr", "1e-2");
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(out.resolve(AdaptedModels.HEAD_WEIGHTS)).exists();
        Path unlabelled = Files.write(dir.resolve("texts.txt"), List.of("the film was good", "the film was awful"));
        Path onDjl = dir.resolve("djl.jsonl");
        Path onOnnx = dir.resolve("onnx.jsonl");
        assertThat(CliRunner.run("classify", "--backend", "djl", "--model", out.toString(), "--input",
                unlabelled.toString(), "--out", onDjl.toString()).exitCode()).isZero();
        CliRunner.Result onnx = CliRunner.run("classify", "--backend", "onnx", "--model", out.toString(), "--input",
                unlabelled.toString(), "--out", onOnnx.toString());
        assertThat(onnx.exitCode()).as(onnx.err()).isZero();
        List<String> x = Files.readAllLines(onDjl);
        List<String> y = Files.readAllLines(onOnnx);
        for (int i = 0; i < x.size(); i++) {
            Map<String, Object> p = Json.parseObject(x.get(i), "djl");
            Map<String, Object> q = Json.parseObject(y.get(i), "onnx");
            assertThat(q.get("label")).isEqualTo(p.get("label"));
            assertThat(((Number) q.get("confidence")).doubleValue())
                    .isCloseTo(((Number) p.get("confidence")).doubleValue(), within(1e-4));
        }

        // classify agrees with adapt on what is bad input: exit 2, nothing written
        Path mixed = Files.write(dir.resolve("mixed.tsv"), List.of("the film was good\tpos", "the film was awful"));
        CliRunner.Result m = CliRunner.run("classify", "--model", out.toString(), "--input", mixed.toString(),
                "--out", dir.resolve("mixed.jsonl").toString());
        assertThat(m.exitCode()).as(m.err()).isEqualTo(2);
        assertThat(m.err()).contains("labels example 1 but not example 2");
        assertThat(dir.resolve("mixed.jsonl")).doesNotExist();
        CliRunner.Result e = CliRunner.run("classify", "--model", out.toString(), "--input",
                Files.writeString(dir.resolve("none.txt"), "\n").toString());
        assertThat(e.exitCode()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("holds no examples");
    }

    @Test
    void adapt_without_a_dev_set_reports_missing_figures_as_null_never_nan() {
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--backend", "djl", "--base", base.toString(),
                "--method", "head", "--train", train.toString(), "--out", dir.resolve("nodev").toString(),
                "--epochs", "2");
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(a.lastLine()).doesNotContain("NaN", "Infinity").contains("\"dev_accuracy\":null");
        assertThat(Json.parseObject(a.lastLine(), "adapt output")).containsKey("dev_loss");
    }

    @Test
    void bad_input_exits_with_2_names_the_problem_and_writes_nothing() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.tsv"), "");
        CliRunner.Result r = CliRunner.run("adapt", "--base", base.toString(), "--method", "full", "--train",
                empty.toString(), "--out", dir.resolve("o1").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("holds no examples");
        assertThat(dir.resolve("o1")).doesNotExist();

        Path odd = Files.write(dir.resolve("odd.tsv"), List.of("the film was fine\tneutral"));
        CliRunner.Result u = CliRunner.run("adapt", "--base", base.toString(), "--method", "lora", "--train",
                train.toString(), "--dev", odd.toString(), "--out", dir.resolve("o2").toString());
        assertThat(u.exitCode()).isEqualTo(2);
        assertThat(u.err()).contains("'neutral'", "[neg, pos]");
        assertThat(dir.resolve("o2")).doesNotExist();

        CliRunner.Result m = CliRunner.run("adapt", "--base", base.toString(), "--method", "sideways", "--train",
                train.toString(), "--out", dir.resolve("o3").toString());
        assertThat(m.exitCode()).isEqualTo(2);
        assertThat(m.err()).contains("head, lora or full");

        CliRunner.Result notClassifier = CliRunner.run("classify", "--model", base.toString(), "--input", dev.toString());
        assertThat(notClassifier.exitCode()).isEqualTo(2);
        assertThat(notClassifier.err()).contains("not a classifier");
    }

    /** A small random gpt2 folder over the same characters as the sentiment set, written with plain Java. */
    static Path tinyGpt2(Path dir) {
        CharTokenizer tok = CharTokenizer.fromText(" abcdefghijklmnopqrstuvwxyz");
        Gpt2Config c = new Gpt2Config(tok.vocabSize(), 32, 32, 1, 2, 0.0, true, 1e-5);
        Random r = new Random(4);
        List<Tensor> tensors = new ArrayList<>();
        Gpt2Layout.shapes(c).forEach((name, shape) -> {
            float[] v = new float[(int) Tensor.elementCount(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = name.contains("ln_") && name.endsWith("weight") ? 1f : (float) r.nextGaussian() * 0.1f;
            }
            tensors.add(Tensor.ofFloats(name, shape, v));
        });
        ModelFolder.write(dir, c, tensors, tok, KeelMetadata.create("test", "random"));
        return dir;
    }

    @Test
    void a_gpt2_base_adapts_with_a_head_and_refuses_lora_for_classification() {
        Path gpt2 = tinyGpt2(dir.resolve("gpt2"));
        Path out = dir.resolve("gpt2-head");
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--backend", "onnx", "--base", gpt2.toString(),
                "--method", "head", "--train", train.toString(), "--dev", dev.toString(), "--out", out.toString(),
                "--epochs", "5", "--lr", "1e-2", "--max-length", "32");
        assertThat(a.exitCode()).as(a.err()).isZero();
        Map<String, Object> j = Json.parseObject(a.lastLine(), "adapt output");
        assertThat(j).containsEntry("method", "head").containsEntry("backend", "onnx").containsKey("dev_accuracy");
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("head");
        CliRunner.Result c = CliRunner.run("classify", "--json", "--backend", "djl", "--model", out.toString(),
                "--input", dev.toString());
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(((Number) Json.parseObject(c.lastLine(), "classify output").get("accuracy")).doubleValue())
                .isCloseTo(((Number) j.get("dev_accuracy")).doubleValue(), within(1e-9));

        CliRunner.Result lora = CliRunner.run("adapt", "--base", gpt2.toString(), "--method", "lora", "--train",
                train.toString(), "--out", dir.resolve("gpt2-lora").toString());
        assertThat(lora.exitCode()).isEqualTo(2);
        assertThat(lora.err()).contains("--method head");
        assertThat(dir.resolve("gpt2-lora")).doesNotExist();
    }

    @Test
    void integer_labels_named_at_adaptation_come_back_as_names_from_classify() throws IOException {
        Path ids = dir.resolve("ids.tsv");
        Path devIds = dir.resolve("dev-ids.tsv");
        Files.write(ids, Files.readAllLines(train).stream().map(l -> l.replace("\tneg", "\t0").replace("\tpos", "\t1")).toList());
        Files.write(devIds, Files.readAllLines(dev).stream().map(l -> l.replace("\tneg", "\t0").replace("\tpos", "\t1")).toList());
        Path out = dir.resolve("named");
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--backend", "djl", "--base", base.toString(), "--method",
                "head", "--train", ids.toString(), "--dev", devIds.toString(), "--out", out.toString(), "--epochs", "3",
                "--max-length", "24", "--label-names", "negative,positive");
        assertThat(a.exitCode()).as(a.err()).isZero();
        Path predictions = dir.resolve("predictions.jsonl");
        CliRunner.Result c = CliRunner.run("classify", "--json", "--backend", "djl", "--model", out.toString(), "--input",
                devIds.toString(), "--out", predictions.toString());
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(Json.parseObject(c.lastLine(), "classify output")).containsKey("accuracy");
        List<Map<String, Object>> rows = Files.readAllLines(predictions).stream()
                .map(l -> Json.parseObject(l, "prediction")).toList();
        assertThat(rows).extracting(r -> r.get("label")).containsOnly("negative", "positive");
        assertThat(rows).extracting(r -> r.get("gold")).as("gold labels in the model's names too")
                .containsOnly("negative", "positive");

        CliRunner.Result wrong = CliRunner.run("adapt", "--base", base.toString(), "--method", "head", "--train",
                train.toString(), "--out", dir.resolve("never").toString(), "--label-names", "negative,positive");
        assertThat(wrong.exitCode()).isEqualTo(2);
        assertThat(wrong.err()).contains("names already");
    }
}
