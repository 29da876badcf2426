package dev.keel.cli;

import dev.keel.api.Capability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keel backends}: what ServiceLoader found and what each backend can do. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List discovered backends and what each can do.")
public final class BackendsCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        Backends backends = Backends.discover();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BackendProvider p : backends.all()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", p.name());
            List<String> caps = p.capabilities().stages().stream()
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
            row.put("capabilities", caps);
            Map<String, List<String>> families = new LinkedHashMap<>();
            for (Capability c : p.capabilities().stages()) {
                families.put(c.name().toLowerCase(Locale.ROOT),
                        p.capabilities().families(c).stream().map(Object::toString).sorted().toList());
            }
            row.put("families", p.capabilities().families().stream().map(Object::toString).toList());
            row.put("families_by_capability", families);
            List<String> devices = p.capabilities().devices().stream()
                    .map(d -> d.name().toLowerCase(Locale.ROOT)).toList();
            row.put("devices", devices);
            row.put("formats", List.copyOf(p.capabilities().formats()));
            row.put("priority", p.priority());
            row.put("available", p.availability().available());
            if (!p.availability().available()) {
                row.put("reason", p.availability().reason());
            }
            rows.add(row);
            StringBuilder stages = new StringBuilder();
            families.forEach((stage, fams) -> stages.append(stages.length() == 0 ? "" : "; ")
                    .append(stage).append(' ').append(String.join(",", fams)));
            console.say(String.format("%-6s %-9s priority %3d  %s  devices %s%s", p.name(),
                    p.availability().available() ? "available" : "missing", p.priority(), stages,
                    String.join(",", devices),
                    p.availability().available() ? "" : "  (" + p.availability().reason() + ")"));
        }
        if (rows.isEmpty()) {
            console.say("no backends found: " + backends.inventory());
        }
        if (common.json) {
            console.result(Map.of("backends", rows));
        }
        return 0;
    }
}
