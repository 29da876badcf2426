package dev.keel.iterate;

import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.train.TrainingListener;
import dev.keel.iterate.data.BundledData;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.RowFiles;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A registry with a film-review champion, the way the loop's tests start: a head on the real MiniLM (ONNX
 * Runtime features) trained on 400 SST-2 phrases and registered as {@code sentiment} with the
 * {@code champion} alias, plus the bundled product/restaurant reviews as new data and 150 SST-2 dev
 * sentences as the golden set.
 */
final class LoopFixture implements AutoCloseable {
    static final String NAME = "sentiment";

    final Path dir;
    final KeelRuntime runtime;
    final ModelRegistry registry;
    final Path sst2Train;
    final Path sst2Dev;
    final Path reviews;
    final Path reviewsHeldout;
    final ModelVersion champion;

    LoopFixture(Path dir) throws IOException {
        this.dir = dir;
        this.registry = JdbcModelRegistry.open(dir.resolve("registry"));
        this.runtime = KeelRuntime.builder().registry(registry).build();
        this.sst2Train = resource("sst2-train-400.tsv");
        this.sst2Dev = resource("sst2-dev-150.tsv");
        this.reviews = BundledData.extract(BundledData.REVIEWS_NEW, dir.resolve("data"));
        this.reviewsHeldout = BundledData.extract(BundledData.REVIEWS_HELDOUT, dir.resolve("data"));
        Path head = dir.resolve("film-head");
        new AdapterTrainer(runtime).train(new TrainingPlan(AdaptationMethod.HEAD,
                ModelRef.builtin("all-minilm-l6-v2"), null, sst2Train, head, 20, 1e-3, 32, 128, null, 0, 7),
                TrainingListener.NONE);
        this.champion = registry.register(Registration.of(NAME, head).alias(ContinuousLearning.CHAMPION)
                .reason("film-review champion").build());
    }

    /**
     * A loop over this registry: the first {@code reviews} bundled reviews as new data (a subset keeps the
     * default test run short), the champion's SST-2 phrases as its replay data, and the SST-2 dev sample as
     * golden set.
     */
    ContinuousLearning.Builder loop(int reviewCount) {
        List<LabelledRow> rows = RowFiles.read(reviews).subList(0, reviewCount);
        return ContinuousLearning.builder().runtime(runtime).name(NAME)
                .newData(NewData.of("the first " + reviewCount + " bundled reviews", () -> rows))
                .replayData(sst2Train).golden("sst2-dev", sst2Dev).workDir(dir.resolve("work")).seed(7);
    }

    private Path resource(String name) throws IOException {
        Path target = dir.resolve("data").resolve(name);
        Files.createDirectories(target.getParent());
        try (InputStream in = LoopFixture.class.getResourceAsStream("/dev/keel/iterate/" + name)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    @Override
    public void close() {
        registry.close();
    }
}
