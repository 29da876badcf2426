package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.ModelNotFoundException;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.RegistryNames;
import dev.keel.api.iterate.Verification;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.spi.registry.ModelRegistries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel registry register|list|show|alias|rollback|verify}: the model registry from the shell. The
 * registry is {@code --registry DIR|JDBC_URL}, else {@code KEEL_REGISTRY}, else {@code ~/.keel/registry}. Only
 * {@code register} creates a registry; the other verbs refuse a location that holds none (exit 2), so a typo
 * never leaves an empty registry behind.
 */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Model versions with lineage, aliases (champion, challenger, ...), rollback, verification.",
        subcommands = {RegistryCommand.Register.class, RegistryCommand.ListVersions.class, RegistryCommand.Show.class,
                RegistryCommand.Alias.class, RegistryCommand.Rollback.class, RegistryCommand.Verify.class})
public final class RegistryCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new InvalidInputException("keel registry needs a verb: register, list, show, alias, rollback or "
                + "verify (keel registry --help)");
    }

    /** The options every registry verb takes. */
    static final class Where {
        @Mixin
        CommonOptions common;

        @Option(names = "--artifacts", paramLabel = "DIR",
                description = "artifact root of a PostgreSQL registry (needed on its first use; then remembered)")
        Path artifacts;

        String location() {
            return common.registry != null ? common.registry : ModelRegistries.defaultLocation();
        }

        JdbcModelRegistry open(boolean create) {
            String location = location();
            if (!create && !location.startsWith("jdbc:") && !Files.exists(Path.of(location))) {
                throw new InvalidInputException("there is no registry at " + location + "; register a model first "
                        + "(keel registry register --name NAME --model DIR), or name the registry with --registry "
                        + "or KEEL_REGISTRY");
            }
            return JdbcModelRegistry.builder().location(location).artifacts(artifacts).actor(actor()).build();
        }

        Console console() {
            return Console.of(common);
        }
    }

    static String actor() {
        return System.getProperty("user.name", "unknown") + " (keel cli)";
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Copy a model folder into the registry as its next immutable version.")
    static final class Register implements Callable<Integer> {
        @Mixin
        Where where;

        @Option(names = "--name", required = true, description = "the model's name (e.g. sentiment)")
        String name;

        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "the model folder: pretrained, full, LoRA or head")
        Path model;

        @Option(names = "--alias", paramLabel = "A", description = "point this alias at the new version")
        String alias;

        @Option(names = "--tag", paramLabel = "K=V", description = "a tag (repeatable)")
        List<String> tags = new ArrayList<>();

        @Option(names = "--metric", paramLabel = "K=V", description = "a metric to record besides keel.json's (repeatable)")
        List<String> metrics = new ArrayList<>();

        @Option(names = "--parent", paramLabel = "N", description = "the version this one derives from")
        Integer parent;

        @Option(names = "--reason", paramLabel = "TEXT", description = "why it is registered")
        String reason;

        @Option(names = "--base-name", paramLabel = "NAME",
                description = "name to register an adapter's base folder under (default NAME-base)")
        String baseName;

        @Option(names = "--card", paramLabel = "FILE.md", description = "a model card to use instead of the generated one")
        Path card;

        @Override
        public Integer call() throws Exception {
            Registration.Builder b = Registration.of(name, model).alias(alias).parent(parent).reason(reason)
                    .baseName(baseName).actor(actor());
            pairs(tags, "--tag").forEach(b::tag);
            pairs(metrics, "--metric").forEach((k, v) -> {
                try {
                    b.metric(k, Double.parseDouble(v));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("--metric " + k + "=" + v + " is not a number; give KEY=NUMBER", e);
                }
            });
            if (card != null) {
                if (!Files.isRegularFile(card)) {
                    throw new InvalidInputException("--card " + card + " is not a file; give a Markdown file");
                }
                b.modelCard(Files.readString(card));
            }
            Registration registration = b.build(); // every value checked before the registry is touched
            JdbcModelRegistry.requireModelFolder(model);
            Console console = where.console();
            long t0 = System.nanoTime();
            try (JdbcModelRegistry registry = where.open(true)) {
                ModelVersion v = registry.register(registration);
                console.say("registered " + v.ref() + " (" + v.kind() + ", " + v.files().size() + " files, "
                        + v.sizeBytes() + " bytes) in " + registry.location());
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("name", v.name());
                json.put("version", v.version());
                json.put("sha256", v.sha256());
                json.put("alias", alias);
                json.put("kind", v.kind());
                json.put("parent", v.parent());
                json.put("base_version", v.lineage().baseVersion());
                json.put("files", v.files().size());
                json.put("size_bytes", v.sizeBytes());
                json.put("location", v.location().toString());
                json.put("seconds", (System.nanoTime() - t0) / 1e9);
                console.result(json);
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List models, or the versions of one.")
    static final class ListVersions implements Callable<Integer> {
        @Mixin
        Where where;

        // --version is the model version here, so the standard -V/--version is not mixed in
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Option(names = "--name", description = "list this model's versions (default: every model's)")
        String name;

        @Option(names = "--alias", paramLabel = "A", description = "only the version this alias points at")
        String alias;

        @Option(names = "--version", paramLabel = "N", description = "only this version")
        Integer version;

        @Override
        public Integer call() {
            if ((alias != null || version != null) && name == null) {
                throw new InvalidInputException("--alias and --version need --name");
            }
            Console console = where.console();
            try (JdbcModelRegistry registry = where.open(false)) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (String n : name != null ? List.of(RegistryNames.requireName(name)) : registry.names()) {
                    Map<String, Integer> aliases = registry.aliases(n);
                    for (ModelVersion v : registry.versions(n)) {
                        if ((version != null && v.version() != version)
                                || (alias != null && !Integer.valueOf(v.version()).equals(aliases.get(alias)))) {
                            continue;
                        }
                        Map<String, Object> row = summary(v, aliases);
                        rows.add(row);
                        console.say(String.format("%-28s %-10s %s  %s%s", v.ref(), v.kind(), v.registeredAt(),
                                row.get("aliases"), v.reason() == null ? "" : "  " + v.reason()));
                    }
                }
                if (rows.isEmpty()) {
                    console.say("no versions" + (name == null ? "" : " of " + name));
                }
                if (console.json()) {
                    console.result(Map.of("versions", rows));
                }
            }
            return 0;
        }
    }

    static Map<String, Object> summary(ModelVersion v, Map<String, Integer> aliases) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", v.name());
        row.put("version", v.version());
        row.put("ref", v.ref());
        row.put("kind", v.kind());
        row.put("sha256", v.sha256());
        row.put("size_bytes", v.sizeBytes());
        row.put("parent", v.parent());
        row.put("aliases", aliases.entrySet().stream().filter(e -> e.getValue() == v.version()).map(Map.Entry::getKey)
                .sorted().toList());
        row.put("metrics", v.metrics());
        row.put("tags", v.tags());
        row.put("registered_at", v.registeredAt().toString());
        row.put("registered_by", v.registeredBy());
        row.put("reason", v.reason());
        return row;
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One version in full: lineage, metrics, tags, files, model card.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Where where;

        // --version is the model version here, so the standard -V/--version is not mixed in
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Option(names = "--name", required = true, description = "the model")
        String name;

        @Option(names = "--version", paramLabel = "N", description = "the version (default: --alias, else the latest)")
        Integer version;

        @Option(names = "--alias", paramLabel = "A", description = "the version this alias points at")
        String alias;

        @Override
        public Integer call() {
            if (version != null && alias != null) {
                throw new InvalidInputException("give --version or --alias, not both");
            }
            Console console = where.console();
            try (JdbcModelRegistry registry = where.open(false)) {
                ModelVersion v = version != null ? registry.version(name, version)
                        : alias != null ? registry.resolve(dev.keel.api.ModelRef.registry(name, alias))
                        : registry.latest(RegistryNames.requireName(name)).orElseThrow(() -> new ModelNotFoundException(
                                "'" + name + "' has no versions in " + registry.location() + "; models: " + registry.names()));
                Map<String, Object> json = summary(v, registry.aliases(name));
                Map<String, Object> lineage = new LinkedHashMap<>();
                lineage.put("base_model", v.lineage().baseModel());
                lineage.put("base_version", v.lineage().baseVersion());
                lineage.put("base_sha256", v.lineage().baseSha256());
                lineage.put("method", v.lineage().method());
                lineage.put("task", v.lineage().task());
                lineage.put("data", v.lineage().data());
                lineage.put("training", v.lineage().training());
                lineage.put("ancestors", v.lineage().ancestors());
                lineage.put("created_by", v.lineage().createdBy());
                json.put("lineage", lineage);
                json.put("files", new TreeMap<>(v.files()));
                json.put("location", v.location().toString());
                json.put("model_card", v.modelCard());
                console.say(v.modelCard());
                if (console.json()) {
                    console.result(Map.of("version", json));
                }
            }
            return 0;
        }
    }

    @Command(name = "alias", mixinStandardHelpOptions = true,
            description = "Set or move an alias to a version (or delete it with --delete); the change is kept in its history.")
    static final class Alias implements Callable<Integer> {
        @Mixin
        Where where;

        // --version is the model version here, so the standard -V/--version is not mixed in
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Option(names = "--name", required = true, description = "the model")
        String name;

        @Option(names = "--alias", required = true, paramLabel = "A", description = "the alias (champion, challenger, ...)")
        String alias;

        @Option(names = "--version", paramLabel = "N", description = "the version to point it at")
        Integer version;

        @Option(names = "--delete", description = "remove the alias (its history stays)")
        boolean delete;

        @Option(names = "--reason", paramLabel = "TEXT", description = "why (kept in the alias history)")
        String reason;

        @Override
        public Integer call() {
            RegistryNames.requireName(name);
            RegistryNames.requireAlias(alias);
            if (delete == (version != null)) {
                throw new InvalidInputException("give --version N to set the alias, or --delete to remove it (one of them)");
            }
            Console console = where.console();
            try (JdbcModelRegistry registry = where.open(false)) {
                AliasChange c = delete ? registry.deleteAlias(name, alias, reason, actor())
                        : registry.setAlias(name, alias, version, reason, actor());
                console.say(name + "@" + alias + ": " + (c.previous() == null ? "unset" : c.previous()) + " -> "
                        + (c.version() == null ? "deleted" : c.version()));
                console.result(change(c));
            }
            return 0;
        }
    }

    static Map<String, Object> change(AliasChange c) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", c.name());
        json.put("alias", c.alias());
        json.put("version", c.version());
        json.put("previous", c.previous());
        json.put("action", c.action().name().toLowerCase(java.util.Locale.ROOT));
        json.put("sequence", c.sequence());
        json.put("at", c.at().toString());
        return json;
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Move an alias back to its previous holder.")
    static final class Rollback implements Callable<Integer> {
        @Mixin
        Where where;

        @Option(names = "--name", required = true, description = "the model")
        String name;

        @Option(names = "--alias", required = true, paramLabel = "A", description = "the alias")
        String alias;

        @Option(names = "--reason", paramLabel = "TEXT", description = "why (kept in the alias history)")
        String reason;

        @Override
        public Integer call() {
            RegistryNames.requireName(name);
            RegistryNames.requireAlias(alias);
            Console console = where.console();
            try (JdbcModelRegistry registry = where.open(false)) {
                AliasChange c = registry.rollback(name, alias, reason, actor());
                console.say(name + "@" + alias + " rolled back: " + c.previous() + " -> " + c.version());
                console.result(change(c));
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-hash a version's files (or every version's) against the hashes recorded at registration; exit 1 on a mismatch.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        Where where;

        // --version is the model version here, so the standard -V/--version is not mixed in
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Option(names = "--name", required = true, description = "the model")
        String name;

        @Option(names = "--version", paramLabel = "N", description = "the version (default: every version)")
        Integer version;

        @Override
        public Integer call() {
            RegistryNames.requireName(name);
            Console console = where.console();
            try (JdbcModelRegistry registry = where.open(false)) {
                List<Integer> versions = version != null ? List.of(registry.version(name, version).version())
                        : registry.versions(name).stream().map(ModelVersion::version).toList();
                if (versions.isEmpty()) {
                    throw new ModelNotFoundException("'" + name + "' has no versions in " + registry.location()
                            + "; models: " + registry.names());
                }
                long t0 = System.nanoTime();
                List<String> mismatches = new ArrayList<>();
                long bytes = 0;
                for (int v : versions) {
                    Verification check = registry.verify(name, v);
                    bytes += check.bytes();
                    check.mismatches().forEach(m -> mismatches.add(name + "/" + v + ": " + m));
                    console.say(name + "/" + v + ": " + (check.ok() ? "ok" : String.join("; ", check.mismatches())));
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("ok", mismatches.isEmpty());
                json.put("mismatches", mismatches);
                json.put("name", name);
                json.put("versions", versions);
                json.put("bytes", bytes);
                json.put("seconds", (System.nanoTime() - t0) / 1e9);
                console.result(json);
                return mismatches.isEmpty() ? 0 : 1;
            }
        }
    }

    /** KEY=VALUE options into a map, refusing anything else (before the registry is opened). */
    static Map<String, String> pairs(List<String> values, String option) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : values) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new InvalidInputException(option + " " + kv + " is not KEY=VALUE");
            }
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }
}
