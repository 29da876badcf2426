package dev.keel.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.tck.KitModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlThreadsTest {
    @Test
    void a_sessions_thread_count_reaches_pytorch_and_zero_keeps_the_engines_choice(@TempDir Path dir) {
        Path model = KitModels.writeGpt2(dir.resolve("m"), KitModels.randomGpt2(KitModels.GPT2, 3));
        int before = DjlEngine.intraOpThreads();
        int asked = before == 1 ? 2 : 1;
        DjlBackendProvider djl = new DjlBackendProvider();
        try {
            try (InferenceSession s = djl.open(ModelRef.of(model), SessionOptions.builder().threads(asked).build())) {
                assertThat(DjlEngine.intraOpThreads()).isEqualTo(asked);
                assertThat(s.logits(new int[] {1, 2, 3})).hasNumberOfRows(3);
            }
            try (InferenceSession s = djl.open(ModelRef.of(model), SessionOptions.builder().threads(0).build())) {
                assertThat(DjlEngine.intraOpThreads()).as("0 leaves the current setting alone").isEqualTo(asked);
            }
        } finally {
            DjlEngine.intraOpThreads(before);
        }
    }
}
