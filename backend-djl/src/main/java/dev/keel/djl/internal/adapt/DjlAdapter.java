package dev.keel.djl.internal.adapt;

import dev.keel.djl.internal.DjlEngine;
import dev.keel.adapters.HeadAdapter;
import dev.keel.api.Device;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.bert.BertFineTuning;
import dev.keel.djl.internal.bert.BertSession;
import dev.keel.djl.internal.gpt2.Gpt2Session;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.train.DataParallel;
import dev.keel.spi.train.DataParallelAdapter;

/**
 * Fine-tuning on DJL: bert classification with {@code full} or {@code lora} runs the DJL training loop;
 * {@code head} (bert or gpt2) trains the engine-neutral Java head over this backend's embeddings (the same
 * code the CLI uses over ONNX Runtime, so a head is the same wherever its features come from). Bert {@code full}
 * and {@code lora} also train as one worker of a data-parallel run ({@link DataParallelAdapter}).
 */
public final class DjlAdapter implements DataParallelAdapter {
    private final Device device;
    private final KeelCache cache;

    public DjlAdapter(Device device) {
        this(device, KeelCache.fromConfiguration());
    }

    /** An adapter caching the corpora it tokenizes (causal-lm domains) in {@code cache}. */
    public DjlAdapter(Device device, KeelCache cache) {
        this.device = device;
        this.cache = cache;
    }

    @Override
    public TrainingResult adapt(AdaptationSpec spec, TrainingListener listener) {
        ModelFamily family = spec.base().isBuiltin() ? ModelFamily.BERT
                : ModelFolder.readConfig(spec.base().path().orElseThrow()).family();
        if (family.equals(ModelFamily.BERT)) {
            if (spec.task() != AdaptationTask.CLASSIFY) {
                throw new UnsupportedCapabilityException("a bert model adapts to --task classify; "
                        + spec.task().name().toLowerCase(java.util.Locale.ROOT) + " needs a gpt2 model");
            }
            if (spec.method() == AdaptationMethod.HEAD) {
                SessionOptions so = SessionOptions.builder().device(device).build();
                return new HeadAdapter(ref -> BertSession.open(ref, so, DjlEngine.device(device)), "djl")
                        .adapt(spec, listener);
            }
            return BertFineTuning.run(spec, DjlEngine.device(device), listener);
        }
        if (family.equals(ModelFamily.GPT2)) {
            if (spec.method() == AdaptationMethod.HEAD) {
                SessionOptions so = SessionOptions.builder().device(device).build();
                return new HeadAdapter(ref -> Gpt2Session.open(ref.path().orElseThrow(), so, cache), "djl")
                        .adapt(spec, listener);
            }
            if (spec.task() == AdaptationTask.CLASSIFY) {
                throw new UnsupportedCapabilityException("a gpt2 model classifies with --method head (a classifier "
                        + "trained on its frozen, mean-pooled features); --method "
                        + spec.method().name().toLowerCase(java.util.Locale.ROOT) + " adapts gpt2 to --task "
                        + "causal-lm or prompt-response, and full or lora classifiers need a bert model");
            }
            return Gpt2Adaptation.run(spec, device, cache, listener);
        }
        throw new UnsupportedCapabilityException("the djl adapter handles bert and gpt2 models, not " + family);
    }

    /** Data-parallel workers train bert classifiers with {@code full} or {@code lora}, on the same loop as above. */
    @Override
    public TrainingResult adapt(AdaptationSpec spec, TrainingListener listener, DataParallel shard) {
        ModelFamily family = spec.base().isBuiltin() ? ModelFamily.BERT
                : ModelFolder.readConfig(spec.base().path().orElseThrow()).family();
        if (!family.equals(ModelFamily.BERT) || spec.task() != AdaptationTask.CLASSIFY
                || spec.method() == AdaptationMethod.HEAD) {
            throw new UnsupportedCapabilityException("data-parallel training on djl covers bert classifiers with "
                    + "--method full or lora; got a " + family + " model, --task "
                    + spec.task().name().toLowerCase(java.util.Locale.ROOT) + ", --method "
                    + spec.method().name().toLowerCase(java.util.Locale.ROOT) + " (a head trains data-parallel in "
                    + "keel-spark's DataParallelHead, over any backend's embeddings)");
        }
        return BertFineTuning.run(spec, DjlEngine.device(device), listener, shard);
    }

}
