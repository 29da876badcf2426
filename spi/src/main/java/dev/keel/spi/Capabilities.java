package dev.keel.spi;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.model.ModelFamily;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apiguardian.api.API;

/**
 * What a backend declares it can do: which stages for which model families, on which devices, reading
 * and writing which formats.
 */
@API(status = STABLE, since = "0.1")
public final class Capabilities {
    private final Map<Capability, Set<ModelFamily>> stages;
    private final Set<Device.Kind> devices;
    private final Set<String> formats;

    private Capabilities(Map<Capability, Set<ModelFamily>> stages, Set<Device.Kind> devices, Set<String> formats) {
        this.stages = stages;
        this.devices = devices;
        this.formats = formats;
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean supports(Capability capability) {
        return stages.containsKey(capability);
    }

    public boolean supports(Capability capability, ModelFamily family) {
        return stages.getOrDefault(capability, Set.of()).contains(family);
    }

    public boolean supports(Device device) {
        return devices.contains(device.kind());
    }

    public Set<Capability> stages() {
        return stages.keySet();
    }

    public Set<ModelFamily> families(Capability capability) {
        return stages.getOrDefault(capability, Set.of());
    }

    /** Every family the backend handles in any stage. */
    public Set<ModelFamily> families() {
        Set<ModelFamily> all = new TreeSet<>((a, b) -> a.modelType().compareTo(b.modelType()));
        stages.values().forEach(all::addAll);
        return all;
    }

    public Set<Device.Kind> devices() {
        return devices;
    }

    public Set<String> formats() {
        return formats;
    }

    @Override
    public String toString() {
        return "Capabilities" + stages + " devices=" + devices + " formats=" + formats;
    }

    public static final class Builder {
        private final Map<Capability, Set<ModelFamily>> stages = new EnumMap<>(Capability.class);
        private final Set<Device.Kind> devices = new LinkedHashSet<>();
        private final Set<String> formats = new LinkedHashSet<>();

        public Builder stage(Capability capability, ModelFamily... families) {
            stages.computeIfAbsent(capability, c -> new LinkedHashSet<>()).addAll(List.of(families));
            return this;
        }

        public Builder devices(Device.Kind... kinds) {
            devices.addAll(List.of(kinds));
            return this;
        }

        public Builder formats(String... names) {
            formats.addAll(List.of(names));
            return this;
        }

        public Capabilities build() {
            Map<Capability, Set<ModelFamily>> copy = new EnumMap<>(Capability.class);
            stages.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
            if (devices.isEmpty()) {
                devices.add(Device.Kind.CPU);
            }
            return new Capabilities(Collections.unmodifiableMap(copy),
                    Collections.unmodifiableSet(new LinkedHashSet<>(devices)),
                    Collections.unmodifiableSet(new LinkedHashSet<>(formats)));
        }
    }
}
