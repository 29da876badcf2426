package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The data shipped in this jar (see its {@code NOTICE.md}): 1,000 product and restaurant review sentences as
 * a round's new data, 300 more of the same domain held out, SST-2 gender bias probes and English term pairs.
 * Tests, the demo and the benchmarks read them from here, so they run on a fresh clone.
 */
public final class BundledData {
    /** 1,000 labelled review sentences (500 positive, 500 negative). */
    public static final String REVIEWS_NEW = "reviews-new.tsv";
    /** 300 other review sentences of the same domain (150 / 150). */
    public static final String REVIEWS_HELDOUT = "reviews-heldout.tsv";
    /** SST-2 gender probes ({@link dev.keel.iterate.eval.BiasProbes}). */
    public static final String BIAS_PROBES = "bias-probes-sst2-gender.jsonl";
    /** English gendered term pairs ({@link TermPairs}). */
    public static final String TERM_PAIRS = "term-pairs-en-gender.tsv";

    private static final String ROOT = "/dev/keel/iterate/";

    private BundledData() { }

    /** Copies a bundled file into {@code dir} and returns its path. */
    public static Path extract(String name, Path dir) {
        try (InputStream in = BundledData.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new InvalidInputException("no bundled data file '" + name + "'; known: " + REVIEWS_NEW + ", "
                        + REVIEWS_HELDOUT + ", " + BIAS_PROBES + ", " + TERM_PAIRS);
            }
            Files.createDirectories(dir);
            Path target = dir.resolve(name);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new KeelException("cannot extract bundled " + name + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A bundled labelled file as rows (marked new). */
    public static List<LabelledRow> rows(String name, Path scratch) {
        return RowFiles.read(extract(name, scratch));
    }

}
