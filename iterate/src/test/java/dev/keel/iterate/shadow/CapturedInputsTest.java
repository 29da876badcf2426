package dev.keel.iterate.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.infer.Operation;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapturedInputsTest {
    @TempDir
    Path dir;

    private static InferenceEvent classify(String id, List<String> inputs, List<String> outputs) {
        return new InferenceEvent(id, Instant.now(), Operation.CLASSIFY, "v1", "onnx", "cpu", 0, 0, 0, inputs, 0, 0, 0,
                outputs, List.of(), null);
    }

    @Test
    void recent_inputs_keep_the_last_classified_texts_and_join_feedback_by_id() {
        RecentInputs recent = new RecentInputs(3);
        recent.onInference(classify("a", List.of("one", "two"), List.of("1", "0")));
        recent.onInference(new InferenceEvent("e", Instant.now(), Operation.EMBED, "v1", "onnx", "cpu", 0, 0, 0,
                List.of("not classified"), 0, 0, 0, List.of(), List.of(), null));
        recent.onInference(classify("b", List.of("three"), List.of("1")));
        assertThat(recent.onFeedback(Feedback.label("a#1", "1"))).isTrue();
        assertThat(recent.onFeedback(Feedback.thumbsUp("b"))).isTrue();
        assertThat(recent.onFeedback(Feedback.label("zzz", "1"))).isFalse();
        List<CapturedInput> last = recent.last(10);
        assertThat(last).extracting(CapturedInput::text).containsExactly("one", "two", "three");
        assertThat(last.get(1).goldLabel(List.of("0", "1"))).isEqualTo("1");
        assertThat(last.get(2).goldLabel(List.of("0", "1"))).isEqualTo("1");
        assertThat(last.get(0).goldLabel(List.of("0", "1"))).isNull();
        recent.onInference(classify("c", List.of("four"), List.of("0")));
        assertThat(recent.last(10)).extracting(CapturedInput::text).containsExactly("two", "three", "four");
        assertThat(recent.onFeedback(Feedback.label("a", "0"))).as("'one' was evicted").isFalse();
        assertThat(recent.last(1)).extracting(CapturedInput::text).containsExactly("four");
    }

    @Test
    void a_captured_input_file_gives_its_last_lines_with_labels_as_feedback() throws Exception {
        Path f = dir.resolve("served.tsv");
        Files.writeString(f, "the soup was cold\t0\nlovely staff\nfast delivery\t1\n");
        List<CapturedInput> in = new CapturedInputFile(f).last(2);
        assertThat(in).extracting(CapturedInput::text).containsExactly("lovely staff", "fast delivery");
        assertThat(in.get(0).goldLabel(null)).isNull();
        assertThat(in.get(1).goldLabel(null)).isEqualTo("1");
    }
}
