package dev.keel.spi;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.BackendNotFoundException;
import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.ModelFamily;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apiguardian.api.API;

/**
 * The discovered backends and the one rule for choosing among them: an explicit name, then the system
 * property {@value #PROPERTY}, then the environment variable {@value #ENVIRONMENT}, then the available
 * provider with the best priority that supports the requested stage, family and device.
 * Hosts without Guice use this directly; the Guice module uses it too.
 */
@API(status = STABLE, since = "0.1")
public final class Backends {
    public static final String PROPERTY = "keel.backend";
    public static final String ENVIRONMENT = "KEEL_BACKEND";
    private static final String HOW_TO_ADD = "add a backend jar to the class path (keel-backend-djl, "
            + "keel-backend-onnx or keel-backend-tf), or register your own in "
            + "META-INF/services/" + BackendProvider.class.getName();

    private final Map<String, BackendProvider> byName;
    private final UnaryOperator<String> properties;
    private final UnaryOperator<String> environment;

    private Backends(List<BackendProvider> providers, UnaryOperator<String> properties,
            UnaryOperator<String> environment) {
        Map<String, BackendProvider> map = new LinkedHashMap<>();
        for (BackendProvider p : providers) {
            String name = p.name().toLowerCase(Locale.ROOT);
            BackendProvider previous = map.putIfAbsent(name, p);
            if (previous != null) {
                throw new BackendNotFoundException("two backends are named '" + name + "': "
                        + describe(previous) + " and " + describe(p)
                        + "; keep one of them on the class path");
            }
        }
        this.byName = map;
        this.properties = properties;
        this.environment = environment;
    }

    /** Every provider registered with {@link ServiceLoader} on the context (or Keel's) class loader. */
    public static Backends discover() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return discover(loader != null ? loader : Backends.class.getClassLoader());
    }

    public static Backends discover(ClassLoader loader) {
        List<BackendProvider> found = new ArrayList<>();
        try {
            ServiceLoader.load(BackendProvider.class, loader).forEach(found::add);
        } catch (ServiceConfigurationError e) {
            throw new KeelException("a backend registration is broken: " + e.getMessage()
                    + "; check META-INF/services/" + BackendProvider.class.getName() + " in that jar", e);
        }
        return of(found);
    }

    /** A fixed set of providers, read configuration from the JVM's properties and environment. */
    public static Backends of(List<? extends BackendProvider> providers) {
        return of(providers, System::getProperty, System::getenv);
    }

    /** A fixed set of providers with explicit configuration sources (for tests and embedding). */
    public static Backends of(List<? extends BackendProvider> providers, UnaryOperator<String> properties,
            UnaryOperator<String> environment) {
        return new Backends(List.copyOf(providers), properties, environment);
    }

    public List<BackendProvider> all() {
        return List.copyOf(byName.values());
    }

    public Optional<BackendProvider> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name.trim().toLowerCase(Locale.ROOT)));
    }

    /** The backend named by configuration (property, then environment), if any is set. */
    public Optional<String> configuredName() {
        String p = properties.apply(PROPERTY);
        if (p != null && !p.isBlank()) {
            return Optional.of(p.trim());
        }
        String e = environment.apply(ENVIRONMENT);
        return e == null || e.isBlank() ? Optional.empty() : Optional.of(e.trim());
    }

    /** The provider named explicitly or by configuration, else the best for any stage. */
    public BackendProvider select(String explicitName) {
        return select(explicitName, null, null, Device.cpu());
    }

    /**
     * Chooses a provider for a stage.
     *
     * @param explicitName a name the caller gave (null to use configuration and then the best)
     * @param capability   the stage needed, or null for any
     * @param family       the model family, or null for any
     * @param device       the device needed
     */
    public BackendProvider select(String explicitName, Capability capability, ModelFamily family, Device device) {
        if (byName.isEmpty()) {
            throw new BackendNotFoundException("no Keel backend found on the class path; " + HOW_TO_ADD);
        }
        String source = "given";
        String name = explicitName;
        if (name == null || name.isBlank()) {
            String p = properties.apply(PROPERTY);
            String e = environment.apply(ENVIRONMENT);
            if (p != null && !p.isBlank()) {
                name = p;
                source = "set by -D" + PROPERTY;
            } else if (e != null && !e.isBlank()) {
                name = e;
                source = "set by " + ENVIRONMENT;
            }
        }
        if (name != null && !name.isBlank()) {
            String chosen = name.trim();
            String why = source;
            BackendProvider named = find(chosen).orElseThrow(() -> new BackendNotFoundException(
                    "unknown backend '" + chosen + "' (" + why + "); found: " + inventory() + "; use one of those"
                            + " names, or " + HOW_TO_ADD));
            return checkFits(named, capability, family, device);
        }
        return best(capability, family, device);
    }

    private BackendProvider checkFits(BackendProvider p, Capability capability, ModelFamily family, Device device) {
        Availability availability = p.availability();
        if (!availability.available()) {
            throw new BackendNotFoundException("backend '" + p.name() + "' is not available here: "
                    + availability.reason());
        }
        if (capability != null && !p.capabilities().supports(capability)) {
            throw new UnsupportedCapabilityException("backend '" + p.name() + "' does not support "
                    + lower(capability) + alternatives(capability, null, device));
        }
        if (capability != null && family != null && !p.capabilities().supports(capability, family)) {
            throw new UnsupportedCapabilityException("backend '" + p.name() + "' cannot " + lower(capability)
                    + " the " + family + " model family (it supports " + p.capabilities().families(capability)
                    + ")" + alternatives(capability, family, device));
        }
        if (device != null && !p.capabilities().supports(device)) {
            throw new UnsupportedCapabilityException("backend '" + p.name() + "' cannot run on " + device
                    + " (it supports " + p.capabilities().devices() + ")" + alternatives(capability, family, device));
        }
        return p;
    }

    /**
     * The best available provider for a stage, ignoring configuration: for work only some engines can do
     * whatever engine the host runs on (importing a builtin ONNX model, say).
     */
    public BackendProvider best(Capability capability, ModelFamily family, Device device) {
        return byName.values().stream()
                .filter(p -> fits(p, capability, family, device))
                .filter(p -> p.availability().available())
                .max(Comparator.<BackendProvider>comparingInt(p -> capability == null ? p.priority() : p.priority(capability))
                        .thenComparing(BackendProvider::name, Comparator.reverseOrder()))
                .orElseThrow(() -> new BackendNotFoundException("no available backend can "
                        + (capability == null ? "run" : lower(capability))
                        + (family == null ? "" : " the " + family + " model family")
                        + (device == null ? "" : " on " + device) + "; found: " + inventory() + "; " + HOW_TO_ADD));
    }

    private static boolean fits(BackendProvider p, Capability capability, ModelFamily family, Device device) {
        Capabilities c = p.capabilities();
        return (capability == null || (family == null ? c.supports(capability) : c.supports(capability, family)))
                && (device == null || c.supports(device));
    }

    private String alternatives(Capability capability, ModelFamily family, Device device) {
        List<String> others = byName.values().stream()
                .filter(p -> fits(p, capability, family, device))
                .map(BackendProvider::name).toList();
        return others.isEmpty() ? "; no discovered backend can, " + HOW_TO_ADD
                : "; use " + String.join(" or ", others) + " (--backend NAME or -D" + PROPERTY + "=NAME)";
    }

    /** One line per provider: name, availability. */
    public String inventory() {
        if (byName.isEmpty()) {
            return "none";
        }
        return byName.values().stream().map(p -> p.name()
                + (p.availability().available() ? "" : " (unavailable: " + p.availability().reason() + ")"))
                .collect(Collectors.joining(", "));
    }

    private static String lower(Capability c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    private static String describe(BackendProvider p) {
        var source = p.getClass().getProtectionDomain().getCodeSource();
        return p.getClass().getName() + (source == null ? "" : " from " + source.getLocation());
    }
}
