package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.monitor.Monitor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Stage four's memory of served calls: what every captured call saw and answered, kept durably so that the
 * feedback users give later can be joined to it and turned into training data.
 * <p>
 * Capturing never fails or slows a call: {@link #onInference} only samples and offers the event to a bounded
 * queue (a full queue drops the call and counts it); a writer thread redacts, tags and commits in batches.
 * <b>Durability:</b> a call is durable once the writer has committed it, at most
 * {@link CaptureOptions#flushInterval()} after it returned, or as soon as {@link #flush} returns true. A crash
 * loses what is still in the queue (at most {@link CaptureOptions#queueCapacity()} calls, in practice the last
 * flush interval's). Thread-safe.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface InferenceLog extends InferenceListener, AutoCloseable {

    /** Captures a call as served by whatever model the event names. Never blocks, never throws. */
    @Override
    void onInference(InferenceEvent event);

    /**
     * A listener that captures calls as served by model {@code model} version {@code version} (the runtime gives
     * one to each session it opens: {@code registry:sentiment/3} is model {@code sentiment} version {@code 3}).
     * A null version takes the event's own model version.
     */
    InferenceListener listener(String model, String version);

    /**
     * Waits until every call accepted before this method was called is committed (or given up as lost).
     *
     * @return true when all of them are committed; false on timeout or when some could not be written
     */
    boolean flush(Duration timeout);

    /** What the log did since it was opened in this process. */
    CaptureStats stats();

    /** The log's figures as a monitor, for the monitor hub (it hears no calls through the hub: only reports). */
    Monitor monitor();

    /** A captured call by its inference id. */
    Optional<CapturedCall> call(String id);

    /** The newest {@code limit} captured calls the filter selects, oldest first. */
    List<CapturedCall> calls(CaptureFilter filter, int limit);

    /**
     * The captured inputs of classification calls the filter selects (or of the operation it names, such as a
     * language model's {@code generate} calls), with feedback joined, as the iteration loop's shadow gate replays
     * them ({@link CapturedInputs#last}: the newest inputs, oldest first). Each text of a batch is one input,
     * named {@code id#k} (a call of one text keeps its plain id).
     */
    CapturedInputs inputs(CaptureFilter filter);

    /** Where the log is, for messages (a file, or a JDBC URL without its password). */
    String location();

    /** Commits what the queue holds (waiting a bounded time), stops the writer and releases the store. */
    @Override
    void close();
}
