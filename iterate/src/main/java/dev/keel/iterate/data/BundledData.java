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

    /**
     * Parses {@code fileOrDefault}: the bundled class-path resource {@code resource} when it is {@code default}
     * (or null), else that file, with {@code parse(text, source)}. Errors say what was being read.
     *
     * @param what     what the file is, for messages ("term-pair file")
     * @param expected what it should hold, for the message when it is missing
     */
    public static <T> T parse(String fileOrDefault, String resource, String what, String expected,
            java.util.function.BiFunction<String, String, T> parse) {
        if (fileOrDefault == null || fileOrDefault.equalsIgnoreCase("default")) {
            try (InputStream in = BundledData.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new InvalidInputException("the bundled " + what + " " + resource + " is missing from the "
                            + "keel-iterate jar; rebuild it");
                }
                return parse.apply(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), resource);
            } catch (IOException e) {
                throw new KeelException("cannot read the bundled " + what + " " + resource + ": " + e.getMessage(), e);
            }
        }
        Path file = Path.of(fileOrDefault);
        try {
            return parse.apply(Files.readString(file, java.nio.charset.StandardCharsets.UTF_8), file.toString());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidInputException(what + " " + file + " does not exist; give " + expected
                    + ", or 'default' for the bundled one");
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** A bundled labelled file as rows (marked new). */
    public static List<LabelledRow> rows(String name, Path scratch) {
        return RowFiles.read(extract(name, scratch));
    }

}
