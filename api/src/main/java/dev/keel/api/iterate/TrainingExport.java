package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * What an export wrote, so the next model version's lineage can cite it: {@code keel adapt} records the
 * file's sha-256 as its training data, which equals {@link #sha256()}.
 *
 * @param file       the labelled file
 * @param manifest   {@code FILE.manifest.json}, this record as JSON
 * @param format     {@code tsv} or {@code jsonl}
 * @param task       {@code classify} or {@code prompt-response}
 * @param rows       examples written (one per distinct text)
 * @param sha256     the sha-256 of the file's bytes
 * @param sources    rows by the feedback that decided their label: {@code label}, {@code correction},
 *                   {@code thumbs_up}, {@code thumbs_down}
 * @param labels     rows by label
 * @param duplicates feedback items that named an example already labelled by later feedback (the latest wins)
 * @param conflicts  examples (texts) whose feedback gave different labels; the latest feedback's label is kept
 * @param skipped    feedback that could not become a row, by reason: {@code unmatched} (call not in the log),
 *                   {@code other_operation}, {@code failed_call}, {@code no_prediction}, {@code not_binary}
 *                   (a thumbs-down without exactly two labels), {@code filtered} (outside the filter), {@code
 *                   not_labelling} (score and retry feedback)
 * @param filter     the filter used
 * @param sequence   the export's number in the store
 * @param at         when it was written
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record TrainingExport(Path file, Path manifest, String format, String task, long rows, String sha256,
        Map<String, Long> sources, Map<String, Long> labels, long duplicates, long conflicts, Map<String, Long> skipped,
        CaptureFilter filter, long sequence, Instant at) {

    public TrainingExport {
        sources = sources == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        skipped = skipped == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    }
}
