package dev.keel.iterate;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.CheckpointException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a round reads from the champion's folder to train a challenger that fits it. */
public final class ChampionFolders {
    private ChampionFolders() { }

    static AdaptationMethod method(Path dir) {
        return switch (AdaptedModels.kind(dir)) {
            case HEAD -> AdaptationMethod.HEAD;
            case LORA -> AdaptationMethod.LORA;
            case FULL -> AdaptationMethod.FULL;
        };
    }

    /**
     * What the champion does: a gpt2 folder that is not a head is a language model (prompt-response when
     * {@code keel adapt --task prompt-response} made it, else causal-lm: {@code keel pretrain} or
     * {@code keel adapt --task causal-lm}); everything else is a classifier.
     */
    public static AdaptationTask task(Path dir) {
        if (!ModelFolder.readConfig(dir).family().equals(ModelFamily.GPT2)
                || AdaptedModels.kind(dir) == AdaptedModels.Kind.HEAD) {
            return AdaptationTask.CLASSIFY;
        }
        String task = ModelFolder.readMetadata(dir).task();
        return "prompt-response".equals(task) ? AdaptationTask.PROMPT_RESPONSE : AdaptationTask.CAUSAL_LM;
    }

    /** The classifier's labels in output order ({@code id2label} of config.json). */
    public static List<String> labels(Path dir) {
        Map<String, Object> config = Json.readObject(dir.resolve(ModelFolder.CONFIG));
        if (!(config.get("id2label") instanceof Map<?, ?> id2label) || id2label.size() < 2) {
            throw new CheckpointException(dir + " names no labels in config.json (id2label), so it is not a "
                    + "classifier; a round iterates classifiers (keel adapt --task classify) and gpt2 language models "
                    + "(keel pretrain, keel adapt --task causal-lm or prompt-response)");
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < id2label.size(); i++) {
            Object l = id2label.get(Integer.toString(i));
            if (l == null) {
                throw new CheckpointException(dir + "/config.json's id2label has no label for id " + i);
            }
            labels.add(l.toString());
        }
        return labels;
    }

    static int maxLength(Path dir, int fallback) {
        Object v = Json.readObject(dir.resolve(ModelFolder.CONFIG)).get(AdaptedModels.MAX_LENGTH_KEY);
        return v instanceof Number n ? n.intValue() : fallback;
    }

    /** The champion adapter's rank, alpha, dropout and targets, so a warm start fits it exactly. */
    static LoraConfig lora(Path dir) {
        LoraAdapter a = LoraAdapter.read(dir);
        Object dropout = a.config().get("lora_dropout");
        List<String> targets = new ArrayList<>();
        if (a.config().get("target_modules") instanceof List<?> l) {
            l.forEach(t -> targets.add(t.toString()));
        }
        return new LoraConfig(a.rank(), a.alpha(), dropout instanceof Number n ? n.doubleValue() : 0.0, targets);
    }

    static int headHidden(Path dir) {
        return ClassifierHead.fromTensors(Safetensors.read(dir.resolve(AdaptedModels.HEAD_WEIGHTS)).tensors()).hidden();
    }
}
