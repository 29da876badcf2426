package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.tokenize.Encoding;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertModelTest {
    @TempDir
    Path dir;

    private static float[][] features(BertModel model, List<String> texts) {
        List<Encoding> enc = TinyBert.tokenizer().encodeBatch(texts, 64);
        return BertClassifierTrainer.features(model, enc, TinyBert.tokenizer(), 8);
    }

    @Test
    void padding_does_not_change_a_sentence_embedding() {
        try (NDManager m = DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel model = BertModel.random(m.newSubManager(), TinyBert.config(), 3)) {
            float[] alone = features(model, List.of("good")).clone()[0];
            // batched with a much longer text, "good" is padded to its length
            List<Encoding> enc = TinyBert.tokenizer().encodeBatch(List.of("good", "a much longer sentence here"), 64);
            float[][] both = new float[2][];
            BertClassifierTrainer.forEachBatch(model, enc, TinyBert.tokenizer(), 2, (idx, batch) -> {
                float[] v = BertModel.meanPool(model.hidden(batch, false), batch).toFloatArray();
                both[0] = java.util.Arrays.copyOfRange(v, 0, 32);
            });
            assertThat(both[0]).containsExactly(alone, within(1e-5f));
        }
    }

    @Test
    void a_folder_round_trip_keeps_every_tensor_bit_for_bit() {
        Path base = TinyBert.write(dir.resolve("base"), 11);
        Map<String, Tensor> read = ModelFolder.readWeights(base).tensors();
        try (NDManager m = DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel model = BertModel.fromTensors(m.newSubManager(), TinyBert.config(), read)) {
            for (Tensor t : model.encoderTensors("")) {
                assertThat(t.data()).as(t.name()).isEqualTo(read.get(t.name()).data());
            }
        }
    }

    @Test
    void merged_lora_weights_give_the_same_outputs_as_unmerged_adapters() {
        Path base = TinyBert.write(dir.resolve("base"), 5);
        Map<String, Tensor> baseTensors = ModelFolder.readWeights(base).tensors();
        List<String> texts = List.of("good film", "the show was awful", "nice");
        try (NDManager m = DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel unmerged = BertModel.fromTensors(m.newSubManager(), TinyBert.config(), baseTensors)) {
            unmerged.newClassifier(2, 1);
            unmerged.addLora(new LoraConfig(4, 8, 0, List.of("query", "value", "dense")), 9);
            // B starts at zero (the adapted model equals the base); give it values so the merge has work to do
            Map<String, Tensor> peft = new LinkedHashMap<>(unmerged.peftTensors());
            Random r = new Random(2);
            peft.replaceAll((k, t) -> {
                if (!k.endsWith("lora_B.weight")) {
                    return t;
                }
                float[] v = new float[(int) t.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian() * 0.5f;
                }
                return Tensor.ofFloats(k, t.shape(), v);
            });
            LoraAdapter adapter = new LoraAdapter(LoraAdapter.peftConfig(unmerged.loraConfig(), "base", "SEQ_CLS",
                    unmerged.loraTargets(), false, List.of("classifier")), peft);
            adapter.write(dir.resolve("adapter"));
            LoraAdapter reread = LoraAdapter.read(dir.resolve("adapter"));
            Map<String, Tensor> mergedTensors = new LinkedHashMap<>();
            reread.merge(baseTensors).forEach(t -> mergedTensors.put(t.name(), t));
            try (BertModel withAdapters = BertModel.fromTensors(m.newSubManager(), TinyBert.config(), baseTensors);
                    BertModel merged = BertModel.fromTensors(m.newSubManager(), TinyBert.config(), mergedTensors)) {
                withAdapters.loadLora(reread);
                float[][] a = features(withAdapters, texts);
                float[][] b = features(merged, texts);
                float[][] plain = features(unmerged, texts);
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(b[i]).containsExactly(a[i], within(2e-4f));
                    assertThat(plain[i][0]).isNotCloseTo(a[i][0], within(1e-4f)); // the adapters do change outputs
                }
                List<Encoding> enc = TinyBert.tokenizer().encodeBatch(texts, 64);
                double[][] pa = BertClassifierTrainer.probabilities(withAdapters, enc, TinyBert.tokenizer(), 8);
                double[][] pb = BertClassifierTrainer.probabilities(merged, enc, TinyBert.tokenizer(), 8);
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(pb[i]).containsExactly(pa[i], within(1e-5));
                }
            }
        }
    }
}
