package dev.keel.spi.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.StopReason;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.ByteTokenizer;
import dev.keel.spi.tokenize.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GenerationTest {
    /** A bigram "model": after token t the logits favour t+1, so greedy output is predictable. */
    private static Generation.Stepper counting(int vocab) {
        return tokens -> {
            float[] logits = new float[vocab];
            logits[(tokens[tokens.length - 1] + 1) % vocab] = 5;
            return logits;
        };
    }

    @Test
    void greedy_generation_follows_the_model_and_streams_every_piece() {
        CharTokenizer tok = CharTokenizer.fromText("abcdefgh");
        List<String> pieces = new ArrayList<>();
        var outcome = Generation.run("id", GenerationRequest.builder().prompt("a").maxTokens(5).greedy().build(), tok,
                64, counting(8), (id, piece) -> pieces.add(piece));
        assertThat(outcome.result().text()).isEqualTo("bcdef");
        assertThat(String.join("", pieces)).isEqualTo("bcdef");
        assertThat(outcome.result().stopReason()).isEqualTo(StopReason.LENGTH);
        assertThat(outcome.promptTokens()).isEqualTo(1);
    }

    @Test
    void a_stop_string_ends_the_text_before_it() {
        CharTokenizer tok = CharTokenizer.fromText("abcdefgh");
        List<String> pieces = new ArrayList<>();
        var r = Generation.run("id", GenerationRequest.builder().prompt("a").maxTokens(7).greedy()
                .stop(List.of("de")).build(), tok, 64, counting(8), (id, p) -> pieces.add(p)).result();
        assertThat(r.text()).isEqualTo("bc");
        assertThat(String.join("", pieces)).isEqualTo("bc");
        assertThat(r.stopReason()).isEqualTo(StopReason.STOP);
    }

    @Test
    void multi_byte_characters_are_streamed_whole() {
        // bytes of "é" are C3 A9; a stepper that emits them in turn
        int[] script = {0xC3, 0xA9, 'x'};
        int[] i = {0};
        Generation.Stepper stepper = tokens -> {
            float[] l = new float[256];
            l[script[Math.min(i[0]++, 2)]] = 9;
            return l;
        };
        List<String> pieces = new ArrayList<>();
        var r = Generation.run("id", GenerationRequest.builder().prompt("q").maxTokens(3).greedy().build(),
                new ByteTokenizer(), 16, stepper, (id, p) -> pieces.add(p)).result();
        assertThat(r.text()).isEqualTo("éx");
        assertThat(pieces).containsExactly("é", "x");
    }

    @Test
    void sampling_repeats_under_a_seed_and_top_k_one_is_greedy() {
        float[] logits = {1f, 2f, 3f, 0.5f};
        GenerationRequest req = GenerationRequest.builder().temperature(1.0).seed(42).build();
        Sampler a = new Sampler(req);
        Sampler b = new Sampler(req);
        int[] sa = IntStream.range(0, 50).map(k -> a.next(logits)).toArray();
        int[] sb = IntStream.range(0, 50).map(k -> b.next(logits)).toArray();
        assertThat(sa).containsExactly(sb).contains(0, 1, 2);
        Sampler topOne = new Sampler(GenerationRequest.builder().temperature(1.0).topK(1).build());
        assertThat(IntStream.range(0, 20).map(k -> topOne.next(logits)).distinct().toArray()).containsExactly(2);
        Sampler nucleus = new Sampler(GenerationRequest.builder().temperature(1.0).topP(0.5).build());
        assertThat(IntStream.range(0, 50).map(k -> nucleus.next(logits)).distinct().toArray())
                .as("token 2 alone holds 0.61 of the mass").containsExactly(2);
    }

    @Test
    void sampling_frequencies_follow_the_softmax() {
        float[] logits = {0f, (float) Math.log(3)};
        Sampler s = new Sampler(GenerationRequest.builder().temperature(1.0).seed(7).build());
        int ones = 0;
        for (int k = 0; k < 20_000; k++) {
            ones += s.next(logits);
        }
        assertThat(ones / 20_000.0).isCloseTo(0.75, within(0.015));
    }

    @Test
    void a_prompt_longer_than_the_context_is_refused_with_the_fix() {
        CharTokenizer tok = CharTokenizer.fromText("ab");
        assertThatThrownBy(() -> Generation.run("id", GenerationRequest.of("abababab", 10), tok, 16, counting(2),
                (id, p) -> { }))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("exceeds the model's context of 16");
    }

    @Test
    void the_sliding_window_keeps_the_newer_half_when_the_context_is_full() {
        List<String> reads = new ArrayList<>();
        SlidingWindow.CachedModel model = new SlidingWindow.CachedModel() {
            public void reset() {
                reads.add("reset");
            }

            public float[] feed(int[] tokens) {
                reads.add(java.util.Arrays.toString(tokens));
                return new float[] {0};
            }
        };
        SlidingWindow w = new SlidingWindow(4, model, true);
        w.step(new int[] {1, 2, 3, 4, 5});
        w.step(new int[] {6});
        w.step(new int[] {7});
        assertThat(reads).containsExactly("reset", "[2, 3, 4, 5]", "reset", "[4, 5, 6]", "[7]");

        reads.clear();
        SlidingWindow uncached = new SlidingWindow(4, model, false);
        uncached.step(new int[] {1});
        uncached.step(new int[] {2});
        assertThat(reads).containsExactly("reset", "[1]", "reset", "[1, 2]");
    }

    @Test
    void block_evaluation_covers_every_token_once_and_averages_per_token() {
        int[] ids = IntStream.range(0, 101).map(k -> k % 7).toArray();
        TokenArray tokens = TokenArray.of(ids, 7);
        List<Integer> lengths = new ArrayList<>();
        EvaluationResult r = BlockEvaluation.run(tokens, 16, 4, (in, tg) -> {
            for (int[] row : in) {
                lengths.add(row.length);
            }
            for (int b = 0; b < in.length; b++) {
                for (int t = 0; t < in[b].length; t++) {
                    assertThat(tg[b][t]).isEqualTo((in[b][t] + 1) % 7);
                }
            }
            return in.length * in[0].length * Math.log(7);
        });
        assertThat(r.tokens()).isEqualTo(100);
        assertThat(lengths).containsExactly(16, 16, 16, 16, 16, 16, 4);
        assertThat(r.loss()).isCloseTo(Math.log(7), within(1e-12));
        assertThat(r.perplexity()).isCloseTo(7, within(1e-9));
    }
}
