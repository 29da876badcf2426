package dev.keel.iterate.shadow;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.infer.Operation;
import dev.keel.api.iterate.CapturedInputs;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory stand-in for the inference log: keeps the last {@code capacity} classified inputs of a running
 * host with what was predicted, and joins feedback to them by inference id ({@code id#k} names the k-th text
 * of a batch). Register it as a session listener ({@code KeelRuntime.builder().listener(recent)}) and hand it
 * feedback; the shadow gate replays {@link #last}. Bounded, thread-safe, and never throws into the caller.
 */
public final class RecentInputs implements InferenceListener, CapturedInputs {
    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();
    private final Map<String, Entry> byId = new HashMap<>();

    private static final class Entry {
        final String id;
        final String text;
        final String served;
        final java.time.Instant at;
        final List<String> keys = new ArrayList<>(2);
        Feedback.Kind feedback;
        String value;

        Entry(String id, String text, String served, java.time.Instant at) {
            this.id = id;
            this.text = text;
            this.served = served;
            this.at = at;
        }
    }

    public RecentInputs(int capacity) {
        if (capacity <= 0) {
            throw new InvalidInputException("the captured-input window must hold at least one input, got " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        if (e == null || e.failed() || e.operation() != Operation.CLASSIFY) {
            return;
        }
        for (int i = 0; i < e.inputs().size(); i++) {
            String id = e.id() + "#" + i;
            String served = i < e.outputs().size() ? e.outputs().get(i) : null;
            Entry entry = new Entry(e.inputs().size() == 1 ? e.id() : id, e.inputs().get(i), served, e.timestamp());
            entries.addLast(entry);
            entry.keys.add(id);
            if (i == 0) {
                entry.keys.add(e.id()); // a plain id names the batch's first text, as the monitor hub reads it
            }
            entry.keys.forEach(k -> byId.put(k, entry));
            while (entries.size() > capacity) {
                Entry gone = entries.removeFirst();
                gone.keys.forEach(k -> byId.remove(k, gone));
            }
        }
    }

    /** Joins what a user said to the input it is about; feedback for an input no longer held is ignored. */
    public synchronized boolean onFeedback(Feedback f) {
        Entry e = f == null ? null : byId.get(f.inferenceId());
        if (e == null) {
            return false;
        }
        e.feedback = f.kind();
        e.value = f.value();
        return true;
    }

    @Override
    public synchronized List<CapturedInput> last(int n) {
        List<CapturedInput> out = new ArrayList<>();
        int skip = Math.max(0, entries.size() - n);
        int i = 0;
        for (Entry e : entries) {
            if (i++ >= skip) {
                out.add(new CapturedInput(e.id, e.text, e.served, e.feedback, e.value, e.at));
            }
        }
        return out;
    }

    public synchronized int size() {
        return entries.size();
    }
}
