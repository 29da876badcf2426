package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.Feedback;
import java.time.Instant;
import java.util.List;
import org.apiguardian.api.API;

/**
 * Stage four: what users said about served calls, kept durably and joined to the captured call by inference
 * id, and turned into labelled training data. Feedback for an id the log does not hold (never captured,
 * sampled out, expired) is kept and reported as unmatched, never dropped. Thread-safe.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface FeedbackStore extends AutoCloseable {

    /** Records one piece of feedback; durable when it returns (committed; concurrent callers share commits). */
    StoredFeedback record(Feedback feedback);

    /** Records several in one transaction: all or none. */
    List<StoredFeedback> recordAll(List<Feedback> feedback);

    /** Feedback the filter selects (by the time it was given), oldest first, each with its join state. */
    List<StoredFeedback> feedback(CaptureFilter filter);

    /** Every piece of feedback given at or after {@code from}, oldest first. */
    default List<Feedback> since(Instant from) {
        return feedback(CaptureFilter.all().since(from)).stream().map(StoredFeedback::feedback).toList();
    }

    /** Feedback the filter selects whose call is not in the log (never captured, sampled out, or expired). */
    default List<StoredFeedback> unmatched(CaptureFilter filter) {
        return feedback(filter).stream().filter(f -> !f.matched()).toList();
    }

    /** Counts of feedback by kind, matched and unmatched, and of captured calls. */
    FeedbackStats stats(CaptureFilter filter);

    /**
     * Writes labelled training data from the feedback the spec selects: LABEL and CORRECTION give the label,
     * a thumbs-up confirms the predicted label, a thumbs-down gives the other label of a binary classifier.
     * One row per distinct text; when several pieces of feedback name the same text, the latest (by the time
     * it was given, then by recording order) wins and disagreements are counted as conflicts. The file is
     * written atomically with a manifest beside it, and the export is recorded in the store.
     */
    TrainingExport export(ExportSpec spec);

    /** Exports written from this store, oldest first. */
    List<TrainingExport> exports();

    @Override
    void close();
}
