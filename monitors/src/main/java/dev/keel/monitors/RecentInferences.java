package dev.keel.monitors;

import dev.keel.api.monitor.InferenceEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/** The last N inferences by id, touched only by the dispatcher thread. */
final class RecentInferences {
    private final LinkedHashMap<String, InferenceEvent> map;

    RecentInferences(int capacity) {
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, InferenceEvent> eldest) {
                return size() > capacity;
            }
        };
    }

    void put(InferenceEvent e) {
        if (e.id() != null) {
            map.put(e.id(), e);
        }
    }

    InferenceEvent get(String id) {
        return map.get(id);
    }
}
