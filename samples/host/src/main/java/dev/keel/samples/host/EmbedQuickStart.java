package dev.keel.samples.host;

import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.Keel;
import java.util.List;

/** Embeds two sentences with the builtin all-MiniLM-L6-v2 (needs only keel-runtime and keel-backend-onnx). */
public final class EmbedQuickStart {
    public static void main(String[] args) {
        try (InferenceSession minilm = Keel.open("builtin:all-minilm-l6-v2")) {
            EmbeddingResult vectors = minilm.embed(List.of("a fine film", "a dull film"));
            System.out.println(vectors.size() + " vectors of " + vectors.vector(0).length + " numbers, served by "
                    + minilm.info().backend());
        }
    }
}
