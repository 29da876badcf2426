package dev.keel.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** One {@code local[2]} session for the module's tests (starting Spark costs seconds), bound to 127.0.0.1. */
final class SparkTests {
    private static SparkSession session;

    private SparkTests() { }

    static synchronized SparkSession spark() {
        if (session == null || session.sparkContext().isStopped()) {
            session = KeelSpark.local("local[2]", "keel-spark-tests");
        }
        return session;
    }

    /** The demo's labelled sentiment sentences (cli resources), {@code text<TAB>label}. */
    static Path sentimentTrain() {
        return demo("sentiment-train.tsv");
    }

    static Path sentimentDev() {
        return demo("sentiment-dev.tsv");
    }

    private static Path demo(String name) {
        Path p = Path.of("..", "cli", "src", "main", "resources", "dev", "keel", "cli", "demo", name);
        if (!Files.exists(p)) {
            throw new IllegalStateException("test data " + p.toAbsolutePath() + " is missing");
        }
        return p;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static List<String> sentences(int n) {
        try {
            return Files.readAllLines(sentimentDev()).stream().limit(n).map(l -> l.substring(0, l.lastIndexOf('\t')))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
