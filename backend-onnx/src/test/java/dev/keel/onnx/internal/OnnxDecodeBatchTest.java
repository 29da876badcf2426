package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.tck.KitModels;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long runs of the batch: every re-layout (capacity full, padding cut, window slides) in both step modes. */
class OnnxDecodeBatchTest {
    @TempDir
    Path dir;

    @BeforeEach
    void isolateCaches() {
        System.setProperty(KeelCache.PROPERTY, dir.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(KeelCache.PROPERTY);
    }

    private static final Gpt2Config CONFIG = Gpt2Config.builder()
            .vocabSize(CharTokenizer.fromText(Gpt2ExportTest.TEXT).vocabSize()).blockSize(16).embedding(16).layers(2)
            .heads(2).bias(true).build();

    /** A random 16-position gpt2 folder. */
    private Path model(long seed) {
        Path f = dir.resolve("m" + seed);
        ModelFolder.write(f, CONFIG, KitModels.randomGpt2(CONFIG, seed).values(),
                CharTokenizer.fromText(Gpt2ExportTest.TEXT), KeelMetadata.create("test", "pretrain"));
        return f;
    }

    @Test
    void steps_written_in_place_and_steps_swapping_whole_caches_both_match_each_sequence_read_alone() {
        Gpt2Config c = CONFIG;
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(model(5)), SessionOptions.defaults())) {
            for (boolean inPlace : new boolean[] {true, false}) {
                try (DecodeBatch batch = ((Gpt2OnnxSession) s).openBatch(inPlace)) {
                    decodeLong(s, batch, c, inPlace);
                }
            }
        }
    }

    @Test
    void reads_made_on_another_thread_while_the_batch_steps_join_and_slide_as_reads_made_inline() throws Exception {
        Gpt2Config c = CONFIG;
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (InferenceSession s = new OnnxBackendProvider().open(ModelRef.of(model(6)), SessionOptions.defaults());
                DecodeBatch batch = ((Gpt2OnnxSession) s).openBatch(true)) {
            assertThat(batch.readsAhead()).isTrue();
            Map<String, List<Integer>> seqs = new LinkedHashMap<>();
            join(s, batch, seqs, "a", 3, 1, 4);
            join(s, batch, seqs, "b", 1, 5, 9, 2, 6);
            int reread = 0;
            for (int step = 0; step < 40; step++) {
                // what the server does: the read runs on another thread while the batch steps; a sliding sequence
                // leaves the batch meanwhile and joins again with its re-read window
                Future<DecodeBatch.Read> joining = step == 7
                        ? reader.submit(() -> batch.read(new int[] {2, 7, 7})) : null;
                String sliding = null;
                Future<DecodeBatch.Read> slide = null;
                for (Map.Entry<String, List<Integer>> e : seqs.entrySet()) {
                    if (sliding == null && e.getValue().size() == c.nPositions()) {
                        sliding = e.getKey();
                        int[] newer = e.getValue().subList(c.nPositions() / 2, c.nPositions()).stream()
                                .mapToInt(Integer::intValue).toArray();
                        slide = reader.submit(() -> batch.read(newer));
                        batch.remove(sliding);
                    }
                }
                String out = sliding;
                stepAndCheck(s, batch, c, seqs, seqs.keySet().stream().filter(k -> !k.equals(out)).toList(), step, true);
                if (slide != null) {
                    DecodeBatch.Read read = slide.get();
                    List<Integer> newer = new ArrayList<>(Arrays.stream(read.tokens()).boxed().toList());
                    seqs.put(sliding, newer);
                    assertAlone(s, sliding, newer, batch.add(sliding, read), true);
                    reread++;
                }
                if (joining != null) {
                    List<Integer> seq = new ArrayList<>(List.of(2, 7, 7));
                    seqs.put("c", seq);
                    assertAlone(s, "c", seq, batch.add("c", joining.get()), true);
                }
            }
            assertThat(reread).as("windows slid and were re-read aside").isGreaterThanOrEqualTo(3);
            assertThat(batch.size()).isEqualTo(3);
        } finally {
            reader.shutdownNow();
        }
    }

    private static void decodeLong(InferenceSession s, DecodeBatch batch, Gpt2Config c, boolean inPlace) {
        Map<String, List<Integer>> seqs = new LinkedHashMap<>();
        join(s, batch, seqs, "a", 3, 1, 4);
        join(s, batch, seqs, "b", 1, 5, 9, 2, 6);
        for (int step = 0; step < 40; step++) {
            if (step == 7) {
                join(s, batch, seqs, "c", 2, 7);
            }
            if (step == 25) {
                batch.remove("a");
                seqs.remove("a");
            }
            for (Map.Entry<String, List<Integer>> e : seqs.entrySet()) {
                if (e.getValue().size() == c.nPositions()) { // slide: keep the newest half
                    List<Integer> newer = new ArrayList<>(e.getValue().subList(c.nPositions() / 2, c.nPositions()));
                    float[] logits = batch.reread(e.getKey(), newer.stream().mapToInt(Integer::intValue).toArray());
                    e.setValue(newer);
                    assertAlone(s, e.getKey(), newer, logits, inPlace);
                }
            }
            stepAndCheck(s, batch, c, seqs, new ArrayList<>(seqs.keySet()), step, inPlace);
        }
        assertThat(batch.size()).isEqualTo(2);
    }

    /** One step of the sequences {@code keys} with tokens made from the step's number; each row checked alone. */
    private static void stepAndCheck(InferenceSession s, DecodeBatch batch, Gpt2Config c,
            Map<String, List<Integer>> seqs, List<String> keys, int step, boolean inPlace) {
        int[] next = new int[keys.size()];
        for (int i = 0; i < next.length; i++) {
            next[i] = (step * 5 + i * 3 + 1) % c.vocabSize();
        }
        float[][] logits = batch.step(keys, next);
        for (int i = 0; i < next.length; i++) {
            seqs.get(keys.get(i)).add(next[i]);
            assertAlone(s, keys.get(i), seqs.get(keys.get(i)), logits[i], inPlace);
        }
    }

    private static void join(InferenceSession s, DecodeBatch batch, Map<String, List<Integer>> seqs, String key,
            int... tokens) {
        List<Integer> seq = new ArrayList<>(Arrays.stream(tokens).boxed().toList());
        seqs.put(key, seq);
        assertAlone(s, key, seq, batch.add(key, tokens), true);
    }

    private static void assertAlone(InferenceSession s, String key, List<Integer> seq, float[] logits,
            boolean inPlace) {
        float[][] alone = s.logits(seq.stream().mapToInt(Integer::intValue).toArray());
        float[] expected = alone[alone.length - 1];
        assertThat(logits).hasSize(expected.length);
        for (int v = 0; v < expected.length; v++) {
            assertThat((double) logits[v]).as("%s, in place %s, after %d tokens, token %d", key, inPlace, seq.size(), v)
                    .isCloseTo(expected[v], within(1e-4));
        }
    }
}
