package dev.keel.iterate;

import dev.keel.adapters.HeadAdapter;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.runtime.KeelRuntime;

/**
 * Trains a challenger through the runtime's adapters: {@code head} with the engine-neutral Java head over the
 * inference backend's embeddings (ONNX Runtime serves as well as a training engine), {@code lora} and
 * {@code full} on the backend the runtime chooses for adapting bert (djl), and gpt2 causal-lm and prompt-response
 * challengers ({@code lora} or {@code full}) on the backend the runtime chooses for adapting gpt2 (djl). A warm start hands the champion's
 * head, adapter or weights to the adapter ({@link AdaptationSpec#warmStart}); the round's JSONL training file
 * carries reweighing's sample weights, which every adapter applies.
 */
public final class AdapterTrainer implements ChallengerTrainer {
    private final KeelRuntime runtime;

    public AdapterTrainer(KeelRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public TrainingResult train(TrainingPlan p, TrainingListener listener) {
        boolean languageModel = p.task() != AdaptationTask.CLASSIFY;
        TrainingConfig.Builder tc = TrainingConfig.builder().maxSteps(0).epochs(p.epochs()).batchSize(p.batchSize())
                .learningRate(p.learningRate()).minLearningRate(0).warmupSteps(0).weightDecay(0.01).gradClip(1.0)
                .seed(p.seed());
        if (languageModel) {
            tc.blockSize(p.maxLength()); // the champion's training block
        }
        // no early stopping: the round's held-out data judges the challenger, so nothing may be chosen on it
        // during training (a causal-lm dev text is only measured before and after, see TrainingPlan#dev)
        AdaptationSpec spec = AdaptationSpec.builder().base(p.base()).method(p.method()).task(p.task())
                .train(p.train()).dev(p.dev()).training(tc.build()).lora(p.lora()).maxLength(p.maxLength())
                .outputDir(p.out()).patience(0).headHidden(p.headHidden())
                .warmStart(p.warmStart() == null ? null : ModelRef.of(p.warmStart())).build();
        Adapter adapter = p.method() == AdaptationMethod.HEAD ? new HeadAdapter(runtime::open, "iterate")
                : runtime.adapter(languageModel ? ModelFamily.GPT2 : ModelFamily.BERT);
        return adapter.adapt(spec, listener);
    }
}
