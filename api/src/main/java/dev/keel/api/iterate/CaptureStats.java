package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * What the inference log did since it was opened in this process. Every call the log heard is counted once
 * as sampled out, dropped, or accepted; every accepted call ends as written or lost (or is still pending).
 *
 * @param accepted          calls taken into the queue
 * @param sampledOut        calls left out by the sampling rate (or because their operation is not captured)
 * @param dropped           calls dropped because the queue was full (the store was slower than the traffic)
 * @param written           calls committed to the store
 * @param lost              accepted calls that could not be written (store down longer than the retries, or the
 *                          redaction hook failed on them: never stored unredacted)
 * @param redactionFailures calls whose redaction hook threw (counted in {@code lost} too)
 * @param writeFailures     batch writes that failed (each is retried; see {@code lost} for rows given up)
 * @param deletedByRetention calls removed by the retention rules (max age, max rows)
 * @param pending           accepted calls not written yet (in the queue or the batch being written)
 * @param lastError         the last write or redaction failure, or null
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record CaptureStats(long accepted, long sampledOut, long dropped, long written, long lost,
        long redactionFailures, long writeFailures, long deletedByRetention, long pending, String lastError) {

    /** The figures under the names the monitor snapshot and the metrics endpoint use. */
    public Map<String, Double> values() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("capture_accepted_total", (double) accepted);
        v.put("capture_sampled_out_total", (double) sampledOut);
        v.put("capture_dropped_total", (double) dropped);
        v.put("capture_written_total", (double) written);
        v.put("capture_lost_total", (double) lost);
        v.put("capture_redaction_failures_total", (double) redactionFailures);
        v.put("capture_write_failures_total", (double) writeFailures);
        v.put("capture_deleted_by_retention_total", (double) deletedByRetention);
        v.put("capture_pending", (double) pending);
        return v;
    }
}
