package dev.keel.djl.internal.bert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.onnx.internal.BertImport;
import dev.keel.onnx.internal.OnnxBackendProvider;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL BERT forward against ONNX Runtime running the original all-MiniLM-L6-v2 graph. */
class MiniLmParityTest {
    @TempDir
    Path dir;

    @Test
    void djl_bert_embeds_the_imported_minilm_like_onnx_runtime_runs_the_original() {
        Path folder = BertImport.importBert(ModelRef.parse("builtin:all-minilm-l6-v2"), dir.resolve("minilm"));
        List<String> texts = List.of("a charming and often affecting journey", "bleak and desperate",
                "The food was cold, but the waiter was lovely.", "x",
                "an unusually long sentence, with commas, numbers like 1984 and words the vocabulary splits apart");
        EmbeddingOptions raw = new EmbeddingOptions(false, 128);
        try (InferenceSession onnx = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.defaults());
                InferenceSession djl = new DjlBackendProvider().open(ModelRef.of(folder), SessionOptions.defaults())) {
            float[][] a = onnx.embed(texts, raw).vectors();
            float[][] b = djl.embed(texts, raw).vectors();
            for (int i = 0; i < texts.size(); i++) {
                assertThat(cosine(a[i], b[i])).as(texts.get(i)).isGreaterThanOrEqualTo(0.9999);
                for (int j = 0; j < a[i].length; j++) {
                    assertThat(Math.abs(a[i][j] - b[i][j])).as(texts.get(i) + " dim " + j).isLessThan(1e-3f);
                }
            }
        }
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
