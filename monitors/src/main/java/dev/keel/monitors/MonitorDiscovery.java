package dev.keel.monitors;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.monitor.Monitor;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Finds the monitors a class path lists in {@code META-INF/services/dev.keel.api.monitor.Monitor} and builds
 * them: with their {@code (MonitorConfig)} constructor when they have one, else the no-argument one. A monitor
 * that fails to construct, or that ServiceLoader refuses, is left out and named in {@code errors} (one badly
 * packaged plugin must not take the others, or the host, down with it); a bad setting is an error.
 */
final class MonitorDiscovery {
    private static final System.Logger LOG = System.getLogger(MonitorHub.class.getName());

    private MonitorDiscovery() { }

    /** The monitors {@code loader} lists, built with {@code config}, less those named in its {@code disabled}. */
    static List<Monitor> discover(ServiceLoader<Monitor> loader, MonitorConfig config, Map<String, String> errors) {
        Set<String> disabled = new HashSet<>(config.list("disabled"));
        List<Monitor> out = new ArrayList<>();
        Iterator<ServiceLoader.Provider<Monitor>> found = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<Monitor> p;
            try {
                if (!found.hasNext()) {
                    break;
                }
                p = found.next();
            } catch (ServiceConfigurationError e) {
                errors.merge("META-INF/services/" + Monitor.class.getName(), e.getMessage(), (a, b) -> a + "; " + b);
                LOG.log(System.Logger.Level.WARNING, "a listed monitor cannot be loaded: " + e.getMessage());
                continue;
            }
            Monitor m;
            try {
                m = construct(p, config);
            } catch (InvalidInputException e) {
                throw e;
            } catch (RuntimeException | LinkageError e) {
                errors.put(p.type().getName(), String.valueOf(e));
                LOG.log(System.Logger.Level.WARNING, "monitor " + p.type().getName() + " failed to construct: " + e);
                continue;
            }
            if (!disabled.contains(m.name())) {
                out.add(m);
            }
        }
        return out;
    }

    private static Monitor construct(ServiceLoader.Provider<Monitor> p, MonitorConfig config) {
        Constructor<? extends Monitor> withConfig;
        try {
            withConfig = p.type().getConstructor(MonitorConfig.class);
        } catch (NoSuchMethodException e) {
            return p.get();
        }
        try {
            return withConfig.newInstance(config);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new KeelException("monitor " + p.type().getName() + " failed to construct: " + e.getCause(),
                    e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new KeelException("monitor " + p.type().getName() + " cannot be constructed: " + e, e);
        }
    }
}
