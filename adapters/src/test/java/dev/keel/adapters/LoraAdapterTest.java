package dev.keel.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.adapt.LoraConfig;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
    @TempDir
    Path dir;

    private static LoraAdapter adapter(boolean fanInFanOut, double alpha) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        // r = 1: A [1, 2], B [2, 1]
        t.put("base_model.model.enc.q.lora_A.weight", Tensor.ofFloats("base_model.model.enc.q.lora_A.weight",
                new long[] {1, 2}, new float[] {1, 2}));
        t.put("base_model.model.enc.q.lora_B.weight", Tensor.ofFloats("base_model.model.enc.q.lora_B.weight",
                new long[] {2, 1}, new float[] {3, 4}));
        t.put("base_model.model.classifier.weight", Tensor.ofFloats("base_model.model.classifier.weight",
                new long[] {2, 2}, new float[] {9, 9, 9, 9}));
        Map<String, Object> config = LoraAdapter.peftConfig(new LoraConfig(1, alpha, 0, List.of()), "/base",
                "SEQ_CLS", List.of("q"), fanInFanOut, List.of("classifier"));
        return new LoraAdapter(config, t);
    }

    @Test
    void merge_adds_the_scaled_low_rank_update_to_the_weight() {
        Map<String, Tensor> base = new LinkedHashMap<>();
        base.put("enc.q.weight", Tensor.ofFloats("enc.q.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}));
        base.put("enc.q.bias", Tensor.ofFloats("enc.q.bias", new long[] {2}, new float[] {5, 5}));
        List<Tensor> merged = adapter(false, 2).merge(base);
        Map<String, Tensor> byName = new LinkedHashMap<>();
        merged.forEach(t -> byName.put(t.name(), t));
        // B A = [[3, 6], [4, 8]], scaling alpha / r = 2
        assertThat(byName.get("enc.q.weight").toFloats()).containsExactly(new float[] {7, 12, 8, 17}, within(1e-6f));
        assertThat(byName.get("enc.q.bias").toFloats()).containsExactly(5, 5);
        assertThat(byName.get("classifier.weight").toFloats()).containsExactly(9, 9, 9, 9);
    }

    @Test
    void fan_in_fan_out_weights_take_the_transposed_update_as_gpt2_conv1d_stores_them() {
        Map<String, Tensor> base = Map.of("enc.q.weight",
                Tensor.ofFloats("enc.q.weight", new long[] {2, 2}, new float[] {0, 0, 0, 0}));
        Tensor w = adapter(true, 1).merge(base).stream().filter(t -> t.name().equals("enc.q.weight")).findFirst().orElseThrow();
        assertThat(w.toFloats()).containsExactly(3, 4, 6, 8);
    }

    @Test
    void adapter_files_round_trip_in_peft_layout() {
        LoraAdapter a = adapter(false, 8);
        a.write(dir);
        LoraAdapter b = LoraAdapter.read(dir);
        assertThat(b.tensors()).isEqualTo(a.tensors());
        assertThat(b.modules()).containsExactly("enc.q");
        assertThat(b.rank()).isEqualTo(1);
        assertThat(b.scaling()).isEqualTo(8.0);
        Map<String, Object> cfg = Json.readObject(dir.resolve(LoraAdapter.CONFIG));
        assertThat(cfg).containsEntry("peft_type", "LORA").containsEntry("task_type", "SEQ_CLS")
                .containsEntry("base_model_name_or_path", "/base").containsKey("target_modules");
        assertThat(b.savedModules()).containsOnlyKeys("classifier.weight");
    }

    @Test
    void a_base_rewritten_in_place_is_merged_again_instead_of_served_from_the_old_merge() throws Exception {
        Path base = java.nio.file.Files.createDirectories(dir.resolve("base"));
        dev.keel.spi.tokenize.Tokenizers.save(dev.keel.spi.tokenize.CharTokenizer.fromText("ab"), base);
        java.nio.file.Files.writeString(base.resolve(dev.keel.spi.checkpoint.ModelFolder.CONFIG), "{\"model_type\": \"bert\"}\n");
        writeBase(base, 1);
        Path lora = dir.resolve("lora");
        LoraAdapter a = adapter(false, 1);
        new LoraAdapter(LoraAdapter.peftConfig(new LoraConfig(1, 1, 0, List.of()), base.toString(), "SEQ_CLS",
                List.of("q"), false, List.of("classifier")), a.tensors()).write(lora);
        java.nio.file.Files.copy(base.resolve(dev.keel.spi.checkpoint.ModelFolder.CONFIG),
                lora.resolve(dev.keel.spi.checkpoint.ModelFolder.CONFIG));

        dev.keel.spi.KeelCache cache = dev.keel.spi.KeelCache.at(dir.resolve("cache"));
        Path first = AdaptedModels.mergedCache(lora, cache);
        assertThat(first).startsWith(cache.merged());
        assertThat(weight(first)).containsExactly(new float[] {4, 6, 4, 9}, within(1e-6f));
        assertThat(AdaptedModels.mergedCache(lora, cache)).as("unchanged base: the merge is reused").isEqualTo(first);

        Thread.sleep(20);
        writeBase(base, 0);
        java.nio.file.Files.setLastModifiedTime(base.resolve(dev.keel.spi.checkpoint.ModelFolder.WEIGHTS),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        Path second = AdaptedModels.mergedCache(lora, cache);
        assertThat(second).isNotEqualTo(first);
        assertThat(weight(second)).containsExactly(new float[] {3, 6, 4, 8}, within(1e-6f));
    }

    private static void writeBase(Path base, float diagonal) {
        dev.keel.spi.checkpoint.Safetensors.write(base.resolve(dev.keel.spi.checkpoint.ModelFolder.WEIGHTS),
                List.of(Tensor.ofFloats("enc.q.weight", new long[] {2, 2}, new float[] {diagonal, 0, 0, diagonal})),
                Map.of("format", "pt"));
    }

    private static float[] weight(Path folder) {
        return dev.keel.spi.checkpoint.ModelFolder.readWeights(folder).get("enc.q.weight").toFloats();
    }
}
