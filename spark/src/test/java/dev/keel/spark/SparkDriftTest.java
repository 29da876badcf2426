package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.data.LabelledExample;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.EmbeddingDrift;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.spi.data.LabelledFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class SparkDriftTest {
    private static final List<LabelledExample> TRAIN = LabelledFiles.read(SparkTests.sentimentTrain());
    private static final List<LabelledExample> DEV = LabelledFiles.read(SparkTests.sentimentDev());

    static Dataset<Row> frame(List<LabelledExample> examples, int partitions) {
        StructType schema = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.StringType);
        List<Row> rows = examples.stream().map(e -> RowFactory.create(e.text(), e.label())).toList();
        Dataset<Row> df = SparkTests.spark().createDataFrame(rows, schema);
        return partitions == 0 ? df : df.repartition(partitions);
    }

    private static void sameAsKeelDrift(List<LabelledExample> ref, List<LabelledExample> cur, DriftMethod method,
            int partitions) {
        DriftReport expected = TextDrift.compareExamples(ref, cur, method, Double.NaN, 0.5);
        SparkDrift.Result got = new SparkDrift().setLabelCol("label").setMethod(method)
                .compare(frame(ref, partitions), frame(cur, partitions));
        assertThat(got.text().tests()).hasSameSizeAs(expected.tests());
        for (int i = 0; i < expected.tests().size(); i++) {
            // the same statistics, verdicts and drawn distributions (compared as maps: records hold arrays)
            assertThat(got.text().tests().get(i).withDistribution(null)).as(expected.tests().get(i).feature())
                    .isEqualTo(expected.tests().get(i).withDistribution(null));
            assertThat(got.text().tests().get(i).distribution().toMap()).as(expected.tests().get(i).feature())
                    .isEqualTo(expected.tests().get(i).distribution().toMap());
        }
        assertThat(got.text().drift()).isEqualTo(expected.drift());
    }

    @Test
    void kolmogorov_smirnov_tests_of_a_thousand_reference_rows_equal_keel_drift() {
        // repartitioned: rows are counted on two task threads in another order than the file's
        sameAsKeelDrift(TRAIN, DEV, DriftMethod.AUTO, 3);
    }

    @Test
    void wasserstein_and_jensen_shannon_over_large_samples_equal_keel_drift() {
        List<LabelledExample> ref = new ArrayList<>(TRAIN);
        ref.addAll(DEV); // 1,200 reference rows: Evidently's large-sample distances
        List<LabelledExample> cur = TRAIN.stream().map(e -> new LabelledExample(e.text().toUpperCase(Locale.ROOT),
                e.label())).toList();
        sameAsKeelDrift(ref, cur, DriftMethod.AUTO, 3);
    }

    @Test
    void psi_equals_keel_drift() {
        sameAsKeelDrift(TRAIN, DEV, DriftMethod.PSI, 2);
    }

    @Test
    void small_samples_in_file_order_get_the_kolmogorov_smirnov_p_values_of_keel_drift() {
        // Commons Math jitters tied values in row order, so the Dataset keeps the file's order (no shuffle)
        sameAsKeelDrift(TRAIN.subList(0, 40), DEV.subList(0, 60), DriftMethod.AUTO, 0);
    }

    @Test
    void embedding_drift_embeds_on_the_executors_and_matches_the_single_machine_tests() {
        List<LabelledExample> ref = TRAIN.subList(0, 60);
        List<LabelledExample> cur = DEV.subList(0, 60);
        SparkDrift.Result got = new SparkDrift().setModel(ModelSpec.of("builtin:all-minilm-l6-v2")).setMaxEmbed(40)
                .compare(frame(ref, 1), frame(cur, 1));
        float[][] va;
        float[][] vb;
        try (var s = dev.keel.runtime.KeelRuntime.builder().build()
                .open(dev.keel.api.ModelRef.parse("builtin:all-minilm-l6-v2"))) {
            va = s.embed(ref.subList(0, 40).stream().map(LabelledExample::text).toList()).vectors();
            vb = s.embed(cur.subList(0, 40).stream().map(LabelledExample::text).toList()).vectors();
        }
        EmbeddingDrift.DomainClassifierResult auc = EmbeddingDrift.domainClassifier(va, vb, 1337);
        assertThat(got.embedded()).containsExactly(40, 40);
        assertThat(got.domain().auc()).isCloseTo(auc.auc(), within(1e-3));
        assertThat(got.domain().drifted()).isEqualTo(auc.drifted());
        assertThat(got.mmd().drifted()).isEqualTo(EmbeddingDrift.mmd(va, vb, 100, 500, 1337).drifted());
    }
}
