package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * The only listener of a session that another session wraps (a classifier head over an embedding session,
 * say), so each call the host makes still yields exactly one event. Events of calls the host makes on the
 * inner session directly pass through to the host's listeners; events of calls the wrapper makes inside
 * {@link #capture} are handed to the wrapper instead, which folds their timings into its own event.
 *
 * <p>Capturing is per thread: it relies on the inner session reporting on the calling thread after the call,
 * as {@link SessionBase} does.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class EventRelay implements InferenceListener {
    private final List<InferenceListener> listeners;
    private final ThreadLocal<List<InferenceEvent>> captured = new ThreadLocal<>();

    /** @param listeners the host's listeners, which hear the inner session's own calls */
    public EventRelay(List<InferenceListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** What a captured call returned, and the events the inner session reported meanwhile. */
    public record Captured<T>(T value, List<InferenceEvent> events) { }

    @Override
    public void onInference(InferenceEvent event) {
        List<InferenceEvent> sink = captured.get();
        if (sink != null) {
            sink.add(event);
        } else {
            InferenceEvents.deliver(event, listeners);
        }
    }

    /**
     * Runs {@code call} (calls on the inner session) and keeps the events it reports from the host's listeners.
     * If the call throws, its events are dropped: the wrapper reports the failure as its own call's event.
     */
    public <T> Captured<T> capture(Supplier<T> call) {
        List<InferenceEvent> previous = captured.get();
        List<InferenceEvent> sink = new ArrayList<>();
        captured.set(sink);
        try {
            T value = call.get();
            return new Captured<>(value, List.copyOf(sink));
        } finally {
            if (previous == null) {
                captured.remove();
            } else {
                captured.set(previous);
            }
        }
    }
}
