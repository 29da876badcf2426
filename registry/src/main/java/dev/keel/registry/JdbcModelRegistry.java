package dev.keel.registry;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.Lineage;
import dev.keel.api.iterate.ModelNotFoundException;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.RegistryEvent;
import dev.keel.api.iterate.RegistryListener;
import dev.keel.api.iterate.RegistryNames;
import dev.keel.api.iterate.Verification;
import dev.keel.registry.db.Database;
import dev.keel.registry.db.Dialect;
import dev.keel.spi.checkpoint.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The model registry on SQLite (a folder: {@code keel.db} plus {@code artifacts/}) or PostgreSQL (a JDBC URL
 * plus an artifact root on a file system every host mounts). One schema and one code path for both; see
 * {@code docs/iteration.md}.
 * <pre>
 * try (ModelRegistry registry = JdbcModelRegistry.open(Path.of("registry"))) {
 *     ModelVersion v = registry.register(Registration.of("sentiment", Path.of("runs/sentiment")).alias("champion").build());
 * }
 * </pre>
 */
public final class JdbcModelRegistry implements ModelRegistry {
    /** The component name of the registry's tables and migration history in a {@link Database}. */
    public static final String COMPONENT = "registry";
    /** The registry's Flyway migrations on the class path. */
    public static final String MIGRATIONS = "dev/keel/registry/migration";
    /** The JDBC URL parameter (removed before connecting) that names a PostgreSQL registry's artifact root. */
    public static final String ARTIFACTS_PARAMETER = "keelArtifacts";
    /** Environment variable naming the artifact root, for registries whose location is a JDBC URL. */
    public static final String ARTIFACTS_ENV = "KEEL_REGISTRY_ARTIFACTS";
    static final String ARTIFACTS_SETTING = "artifact_root";
    private static final int MAX_BASE_DEPTH = 8;
    private static final Set<String> NEEDS_BASE = Set.of(FolderInspection.LORA, FolderInspection.HEAD);

    private final Database db;
    private final ArtifactStore store;
    private final String location;
    private final String defaultActor;
    private final EventFeed feed;

    private JdbcModelRegistry(Database db, ArtifactStore store, String location, String defaultActor,
            Duration pollInterval) {
        this.db = db;
        this.store = store;
        this.location = location;
        this.defaultActor = defaultActor;
        this.feed = new EventFeed(this, pollInterval);
    }

    /** Opens (creating when absent) the SQLite registry in {@code folder}. */
    public static JdbcModelRegistry open(Path folder) {
        return builder().location(folder.toString()).build();
    }

    /** Opens a registry from a folder path or a JDBC URL (see {@link Builder#location}). */
    public static JdbcModelRegistry open(String location) {
        return builder().location(location).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Where the registry's files live ({@code NAME/VERSION/} folders under it). */
    public Path artifactRoot() {
        return store.root();
    }

    /** The database, for components that keep their own tables beside the registry's. */
    public Database database() {
        return db;
    }

    @Override
    public String location() {
        return location;
    }

    // ---------------------------------------------------------------- registration

    /**
     * Checks that {@code folder} is a model folder the registry accepts, without opening a registry: returns
     * its kind (pretrained, full, lora or head) or throws the {@link CheckpointException} that
     * {@link #register} would. The CLI calls it before creating a registry, so bad input writes nothing.
     */
    public static String requireModelFolder(Path folder) {
        return FolderInspection.of(folder.toAbsolutePath().normalize()).kind();
    }

    @Override
    public ModelVersion register(Registration r) {
        return register(r, 0);
    }

    private ModelVersion register(Registration r, int depth) {
        Path folder = r.folder().toAbsolutePath().normalize();
        FolderInspection inspection = FolderInspection.of(folder);
        if (folder.startsWith(store.root())) {
            ModelVersion existing = versionAt(folder);
            if (existing != null) {
                throw new InvalidInputException(folder + " is " + existing.ref() + " already; it is in the registry "
                        + "(versions are immutable: register a new folder to make a new version)");
            }
        }
        String actor = actor(r.actor());
        if (r.parent() != null) {
            version(r.name(), r.parent());
        }
        BaseLink base = linkBase(r, folder, inspection, actor, depth);
        Integer parent = r.parent() != null ? r.parent() : base.sameNameParent(r.name());
        try (ArtifactStore.Staging staging = store.stage()) {
            Map<String, ArtifactStore.FileHash> files = store.copy(folder, staging.dir(), base.rewrite());
            Map<String, String> hashes = new TreeMap<>();
            files.forEach((p, h) -> hashes.put(p, h.sha256()));
            String sha = ArtifactStore.contentHash(hashes);
            long size = files.values().stream().mapToLong(ArtifactStore.FileHash::size).sum();
            Lineage lineage = lineage(inspection, base);
            Map<String, Double> metrics = new LinkedHashMap<>(JsonTrees.numbers(inspection.keel(), "metrics"));
            metrics.putAll(r.metrics());
            int number = db.write(COMPONENT, c -> {
                int next = nextVersion(c, r.name());
                Instant now = now();
                String card = r.modelCard() != null ? r.modelCard() : ModelCards.generate(r.name(), next,
                        inspection.kind(), inspection.family(), lineage, parent, metrics, r.tags(), actor, r.reason(),
                        now, files, sha);
                Path target = store.versionDir(r.name(), next);
                store.publish(staging.dir(), target);
                try {
                    insertVersion(c, r.name(), next, sha, size, inspection.kind(), parent, lineage, metrics, r.tags(),
                            card, actor, r.reason(), now);
                    insertFiles(c, r.name(), next, files);
                    appendEvent(c, RegistryEvent.Type.REGISTERED, r.name(), next, null, null, r.reason(), actor, now);
                    if (r.alias() != null) {
                        Integer previous = currentAlias(c, r.name(), r.alias());
                        upsertAlias(c, r.name(), r.alias(), next, previous, now);
                        appendEvent(c, RegistryEvent.Type.ALIAS_MOVED, r.name(), next, r.alias(), previous, r.reason(),
                                actor, now);
                    }
                    PausePoints.reach(PausePoints.REGISTER_BEFORE_COMMIT);
                } catch (SQLException | RuntimeException e) {
                    store.remove(target);
                    throw e;
                }
                return next;
            });
            feed.wake();
            return version(r.name(), number);
        }
    }

    /** How a registered folder reaches its base, and what its stored copy says about it. */
    private record BaseLink(String baseModel, ModelVersion version, String sha256, Map<String, byte[]> rewrite) {
        static final BaseLink NONE = new BaseLink(null, null, null, Map.of());

        Integer sameNameParent(String name) {
            return version != null && version.name().equals(name) ? version.version() : null;
        }
    }

    /**
     * LoRA and head versions name a base they cannot be served without. The registry keeps that base too (the
     * folder named is registered as {@code NAME-base}, unless it is in the registry already, found by path or
     * by content hash) and the stored copy names it by a path relative to the version folder
     * ({@code ../../BASE/V}), which resolves wherever the artifact root is mounted. Builtin bases ship on the
     * class path and stay as they are. Full and pretrained versions only record their base as lineage.
     */
    private BaseLink linkBase(Registration r, Path folder, FolderInspection in, String actor, int depth) {
        if (in.base() == null) {
            return BaseLink.NONE;
        }
        ModelRef ref = ModelRef.parse(in.base());
        if (ref.isBuiltin()) {
            return new BaseLink(in.base(), null, null, Map.of());
        }
        ModelVersion base;
        String baseSha = null;
        if (ref.isRegistry()) {
            base = resolve(ref);
        } else {
            Path p = ref.path().orElseThrow();
            p = (p.isAbsolute() ? p : folder.resolve(p)).normalize();
            if (!Files.isDirectory(p)) {
                if (in.needsBase()) {
                    throw new CheckpointException(folder + " is a " + in.kind() + " folder whose base " + p + " is not "
                            + "there; the registry keeps the base with the version so it stays usable: restore the "
                            + "base folder (or register it and name it in keel.json as registry:NAME/VERSION)");
                }
                return new BaseLink(in.base(), null, null, Map.of());
            }
            base = versionAt(p);
            if (base == null) {
                Map<String, String> hashes = new TreeMap<>();
                store.hash(p, false).forEach((k, h) -> hashes.put(k, h.sha256()));
                baseSha = ArtifactStore.contentHash(hashes);
                base = bySha(baseSha);
            }
            if (base == null && in.needsBase()) {
                if (depth >= MAX_BASE_DEPTH) {
                    throw new CheckpointException(folder + " has a chain of more than " + MAX_BASE_DEPTH + " bases; "
                            + "merge the adapters into a full model first");
                }
                String baseName = r.baseName() != null ? r.baseName() : r.name() + "-base";
                base = register(Registration.of(baseName, p).actor(actor)
                        .reason("base of " + r.name() + " (registered with it so it stays usable)").build(), depth + 1);
            }
        }
        if (base == null) {
            return new BaseLink(in.base(), null, baseSha, Map.of());
        }
        Map<String, byte[]> rewrite = in.needsBase()
                ? Map.of(in.baseFile(), rewriteBase(folder.resolve(in.baseFile()),
                        in.baseFile().equals("keel.json") ? "base" : "base_model_name_or_path",
                        "../../" + base.name() + "/" + base.version()))
                : Map.of();
        return new BaseLink(in.base(), base, base.sha256(), rewrite);
    }

    private static byte[] rewriteBase(Path file, String key, String value) {
        JsonObject tree = FolderInspection.tree(file);
        tree.addProperty(key, value);
        return (Json.pretty(tree) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static Lineage lineage(FolderInspection in, BaseLink base) {
        JsonObject k = in.keel();
        return new Lineage(base.baseModel(), base.version() == null ? null : base.version().ref(), base.sha256(),
                JsonTrees.string(k, "method"), JsonTrees.string(k, "task"), JsonTrees.strings(k, "data"),
                k != null && k.get("training") instanceof JsonObject t ? JsonTrees.toMap(t) : Map.of(),
                JsonTrees.stringList(k, "lineage"), JsonTrees.string(k, "createdBy"));
    }

    /** The registered version whose folder is {@code dir} (inside the artifact root), or null. */
    private ModelVersion versionAt(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!abs.startsWith(store.root()) || store.root().relativize(abs).getNameCount() != 2) {
            return null;
        }
        Path rel = store.root().relativize(abs);
        try {
            return find(rel.getName(0).toString(), Integer.parseInt(rel.getName(1).toString())).orElse(null);
        } catch (NumberFormatException | InvalidInputException e) {
            return null;
        }
    }

    private ModelVersion bySha(String sha) {
        String ref = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name, version FROM keel_registry_versions "
                    + "WHERE sha256 = ? ORDER BY registered_at, name, version")) {
                ps.setString(1, sha);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? "registry:" + rs.getString(1) + "/" + rs.getInt(2) : null;
                }
            }
        });
        return ref == null ? null : resolve(ModelRef.parse(ref));
    }

    // ---------------------------------------------------------------- reading versions

    @Override
    public List<String> names() {
        return db.read(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT DISTINCT name FROM keel_registry_versions ORDER BY name"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Override
    public List<ModelVersion> versions(String name) {
        RegistryNames.requireName(name);
        return db.read(c -> loadVersions(c, name, null));
    }

    @Override
    public Optional<ModelVersion> find(String name, int version) {
        RegistryNames.requireName(name);
        RegistryNames.requireVersion(version);
        return db.read(c -> loadVersions(c, name, version)).stream().findFirst();
    }

    private List<ModelVersion> loadVersions(Connection c, String name, Integer version) throws SQLException {
        String where = " WHERE name = ?" + (version != null ? " AND version = ?" : "");
        Map<Integer, Map<String, String>> files = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT version, path, sha256 FROM keel_registry_files" + where)) {
            ps.setString(1, name);
            if (version != null) {
                ps.setInt(2, version);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    files.computeIfAbsent(rs.getInt(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
                }
            }
        }
        List<ModelVersion> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT version, sha256, size_bytes, kind, parent_version, "
                + "lineage_json, metrics_json, tags_json, model_card, registered_by, reason, registered_at "
                + "FROM keel_registry_versions" + where + " ORDER BY version")) {
            ps.setString(1, name);
            if (version != null) {
                ps.setInt(2, version);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int v = rs.getInt(1);
                    int parent = rs.getInt(5);
                    Integer parentOrNull = rs.wasNull() ? null : parent;
                    out.add(new ModelVersion(name, v, rs.getString(2), files.getOrDefault(v, Map.of()), rs.getLong(3),
                            rs.getString(4), parentOrNull, readLineage(rs.getString(6)), readMetrics(rs.getString(7)),
                            readTags(rs.getString(8)), rs.getString(9), rs.getString(10), rs.getString(11),
                            Instant.ofEpochMilli(rs.getLong(12)), store.versionDir(name, v)));
                }
            }
        }
        return out;
    }

    private static Lineage readLineage(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        return new Lineage(JsonTrees.string(o, "baseModel"), JsonTrees.string(o, "baseVersion"),
                JsonTrees.string(o, "baseSha256"), JsonTrees.string(o, "method"), JsonTrees.string(o, "task"),
                JsonTrees.strings(o, "data"),
                o.get("training") instanceof JsonObject t ? JsonTrees.toMap(t) : Map.of(),
                JsonTrees.stringList(o, "ancestors"), JsonTrees.string(o, "createdBy"));
    }

    private static Map<String, Double> readMetrics(String json) {
        JsonObject o = new JsonObject();
        o.add("m", JsonParser.parseString(json));
        return JsonTrees.numbers(o, "m");
    }

    private static Map<String, String> readTags(String json) {
        JsonObject o = new JsonObject();
        o.add("t", JsonParser.parseString(json));
        return JsonTrees.strings(o, "t");
    }

    private static int nextVersion(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM keel_registry_versions WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void insertVersion(Connection c, String name, int version, String sha, long size, String kind,
            Integer parent, Lineage lineage, Map<String, Double> metrics, Map<String, String> tags, String card,
            String actor, String reason, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO keel_registry_versions (name, version, sha256, "
                + "size_bytes, kind, parent_version, lineage_json, metrics_json, tags_json, model_card, registered_by, "
                + "reason, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, name);
            ps.setInt(2, version);
            ps.setString(3, sha);
            ps.setLong(4, size);
            ps.setString(5, kind);
            setInteger(ps, 6, parent);
            ps.setString(7, Json.compact(lineage));
            ps.setString(8, Json.compact(metrics));
            ps.setString(9, Json.compact(tags));
            ps.setString(10, card);
            ps.setString(11, actor);
            ps.setString(12, reason);
            ps.setLong(13, at.toEpochMilli());
            ps.executeUpdate();
        }
    }

    private static void insertFiles(Connection c, String name, int version, Map<String, ArtifactStore.FileHash> files)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO keel_registry_files (name, version, path, sha256, size_bytes) VALUES (?, ?, ?, ?, ?)")) {
            for (Map.Entry<String, ArtifactStore.FileHash> f : files.entrySet()) {
                ps.setString(1, name);
                ps.setInt(2, version);
                ps.setString(3, f.getKey());
                ps.setString(4, f.getValue().sha256());
                ps.setLong(5, f.getValue().size());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    // ---------------------------------------------------------------- aliases

    @Override
    public AliasChange setAlias(String name, String alias, int version, String reason, String actor) {
        RegistryNames.requireName(name);
        RegistryNames.requireAlias(alias);
        RegistryNames.requireVersion(version);
        String who = actor(actor);
        AliasChange change = db.write(COMPONENT, c -> {
            requireVersion(c, name, version);
            Instant now = now();
            Integer previous = currentAlias(c, name, alias);
            upsertAlias(c, name, alias, version, previous, now);
            long seq = appendEvent(c, RegistryEvent.Type.ALIAS_MOVED, name, version, alias, previous, reason, who, now);
            PausePoints.reach(PausePoints.ALIAS_BEFORE_COMMIT);
            return new AliasChange(seq, name, alias, AliasChange.Action.SET, version, previous, reason, who, now);
        });
        feed.wake();
        return change;
    }

    @Override
    public AliasChange deleteAlias(String name, String alias, String reason, String actor) {
        RegistryNames.requireName(name);
        RegistryNames.requireAlias(alias);
        String who = actor(actor);
        AliasChange change = db.write(COMPONENT, c -> {
            Integer previous = currentAlias(c, name, alias);
            if (previous == null) {
                throw unknownAlias(c, name, alias);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM keel_registry_aliases WHERE name = ? AND alias = ?")) {
                ps.setString(1, name);
                ps.setString(2, alias);
                ps.executeUpdate();
            }
            Instant now = now();
            long seq = appendEvent(c, RegistryEvent.Type.ALIAS_DELETED, name, null, alias, previous, reason, who, now);
            return new AliasChange(seq, name, alias, AliasChange.Action.DELETE, null, previous, reason, who, now);
        });
        feed.wake();
        return change;
    }

    @Override
    public AliasChange rollback(String name, String alias, String reason, String actor) {
        RegistryNames.requireName(name);
        RegistryNames.requireAlias(alias);
        String who = actor(actor);
        AliasChange change = db.write(COMPONENT, c -> {
            List<AliasChange> history = aliasHistory(c, name, alias);
            if (history.isEmpty()) {
                throw unknownAlias(c, name, alias);
            }
            Deque<Integer> holders = holders(history);
            Integer current = currentAlias(c, name, alias);
            popToPrevious(holders);
            if (holders.isEmpty()) {
                throw new InvalidInputException("alias '" + alias + "' of '" + name + "' has no previous holder to "
                        + "roll back to (history: " + history.stream().map(h -> h.action() + " " + h.version()).toList()
                        + "); set it with keel registry alias --name " + name + " --alias " + alias + " --version N");
            }
            int target = holders.peek();
            Instant now = now();
            upsertAlias(c, name, alias, target, current, now);
            long seq = appendEvent(c, RegistryEvent.Type.ROLLED_BACK, name, target, alias, current, reason, who, now);
            return new AliasChange(seq, name, alias, AliasChange.Action.ROLLBACK, target, current, reason, who, now);
        });
        feed.wake();
        return change;
    }

    /**
     * Replays an alias's history as a stack of holders (top first): a set pushes (unless it repeats the top),
     * a delete pushes "none", a rollback pops back to the previous real holder.
     */
    private static Deque<Integer> holders(List<AliasChange> history) {
        Deque<Integer> stack = new ArrayDeque<>();
        for (AliasChange h : history) {
            switch (h.action()) {
                case SET -> {
                    if (stack.isEmpty() || !Integer.valueOf(h.version()).equals(top(stack))) {
                        stack.push(h.version());
                    }
                }
                case DELETE -> stack.push(-1);
                case ROLLBACK -> popToPrevious(stack);
            }
        }
        return stack;
    }

    private static Integer top(Deque<Integer> stack) {
        return stack.peek();
    }

    private static void popToPrevious(Deque<Integer> stack) {
        if (!stack.isEmpty()) {
            stack.pop();
        }
        while (!stack.isEmpty() && stack.peek() < 0) {
            stack.pop();
        }
    }

    @Override
    public Optional<ModelVersion> resolve(String name, String alias) {
        RegistryNames.requireName(name);
        RegistryNames.requireAlias(alias);
        Integer v = db.read(c -> currentAlias(c, name, alias));
        return v == null ? Optional.empty() : find(name, v);
    }

    @Override
    public Map<String, Integer> aliases(String name) {
        RegistryNames.requireName(name);
        return db.read(c -> {
            Map<String, Integer> out = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT alias, version FROM keel_registry_aliases WHERE name = ? ORDER BY alias")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getInt(2));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<AliasChange> aliasHistory(String name, String alias) {
        RegistryNames.requireName(name);
        RegistryNames.requireAlias(alias);
        return db.read(c -> aliasHistory(c, name, alias));
    }

    private static List<AliasChange> aliasHistory(Connection c, String name, String alias) throws SQLException {
        List<AliasChange> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(EVENT_COLUMNS + " WHERE name = ? AND alias = ? ORDER BY seq")) {
            ps.setString(1, name);
            ps.setString(2, alias);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    RegistryEvent e = event(rs);
                    AliasChange.Action action = switch (e.type()) {
                        case ALIAS_DELETED -> AliasChange.Action.DELETE;
                        case ROLLED_BACK -> AliasChange.Action.ROLLBACK;
                        default -> AliasChange.Action.SET;
                    };
                    out.add(new AliasChange(e.sequence(), name, alias, action, e.version(), e.previous(), e.reason(),
                            e.actor(), e.at()));
                }
            }
        }
        return out;
    }

    @Override
    public Optional<Integer> aliasAt(String name, String alias, Instant time) {
        Integer holder = null;
        for (AliasChange h : aliasHistory(name, alias)) {
            if (h.at().isAfter(time)) {
                break;
            }
            holder = h.version();
        }
        return Optional.ofNullable(holder);
    }

    private static Integer currentAlias(Connection c, String name, String alias) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT version FROM keel_registry_aliases WHERE name = ? AND alias = ?")) {
            ps.setString(1, name);
            ps.setString(2, alias);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }

    private static void upsertAlias(Connection c, String name, String alias, int version, Integer previous, Instant at)
            throws SQLException {
        String sql = previous == null
                ? "INSERT INTO keel_registry_aliases (version, updated_at, name, alias) VALUES (?, ?, ?, ?)"
                : "UPDATE keel_registry_aliases SET version = ?, updated_at = ? WHERE name = ? AND alias = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, version);
            ps.setLong(2, at.toEpochMilli());
            ps.setString(3, name);
            ps.setString(4, alias);
            ps.executeUpdate();
        }
    }

    private ModelNotFoundException unknownAlias(Connection c, String name, String alias) throws SQLException {
        Map<String, Integer> known = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT alias, version FROM keel_registry_aliases WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    known.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return new ModelNotFoundException("alias '" + alias + "' of '" + name + "' is not set (aliases of '" + name
                + "': " + known + "); set it with keel registry alias --name " + name + " --alias " + alias
                + " --version N");
    }

    private void requireVersion(Connection c, String name, int version) throws SQLException {
        if (loadVersions(c, name, version).isEmpty()) {
            List<Integer> known = new ArrayList<>();
            loadVersions(c, name, null).forEach(v -> known.add(v.version()));
            throw new ModelNotFoundException(name + "/" + version + " is not in the registry " + location
                    + "; versions of '" + name + "': " + known + " (keel registry list --name " + name + ")");
        }
    }

    // ---------------------------------------------------------------- files

    @Override
    public Path open(String name, int version) {
        return open(name, version, new HashSet<>());
    }

    private Path open(String name, int version, Set<String> seen) {
        ModelVersion v = version(name, version);
        Verification check = verify(v);
        if (!check.ok()) {
            throw new CheckpointException(v.ref() + " in " + location + " no longer matches the hashes recorded when "
                    + "it was registered (" + String.join("; ", check.mismatches()) + "), so it is refused. Versions "
                    + "are never rewritten: register the model again from its source folder and move the alias to "
                    + "the new version (keel registry alias), or restore " + v.location() + " from a backup");
        }
        String base = v.lineage().baseVersion();
        if (base != null && NEEDS_BASE.contains(v.kind()) && seen.add(v.ref())) {
            ModelRef.Registry b = ModelRef.parse(base).registry().orElseThrow();
            open(b.name(), b.version(), seen);
        }
        return v.location();
    }

    @Override
    public Verification verify(String name, int version) {
        return verify(version(name, version));
    }

    private Verification verify(ModelVersion v) {
        List<String> mismatches = new ArrayList<>();
        long bytes = 0;
        if (!Files.isDirectory(v.location())) {
            return new Verification(v.name(), v.version(), false, List.of("missing folder " + v.location()), 0);
        }
        Map<String, ArtifactStore.FileHash> found = store.hash(v.location(), true);
        for (Map.Entry<String, String> f : v.files().entrySet()) {
            ArtifactStore.FileHash h = found.get(f.getKey());
            if (h == null) {
                mismatches.add("missing " + f.getKey());
            } else {
                bytes += h.size();
                if (!h.sha256().equals(f.getValue())) {
                    mismatches.add("changed " + f.getKey() + " (recorded " + f.getValue().substring(0, 12)
                            + "..., found " + h.sha256().substring(0, 12) + "...)");
                }
            }
        }
        found.keySet().stream().filter(p -> !v.files().containsKey(p)).forEach(p -> mismatches.add("unexpected " + p));
        return new Verification(v.name(), v.version(), mismatches.isEmpty(), mismatches, bytes);
    }

    // ---------------------------------------------------------------- editable metadata

    @Override
    public ModelVersion updateModelCard(String name, int version, String markdown, String actor) {
        if (markdown == null) {
            throw new InvalidInputException("model card is null; give Markdown text (an empty string clears it)");
        }
        return update(name, version, actor, "model card edited", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE keel_registry_versions SET model_card = ? WHERE name = ? AND version = ?")) {
                ps.setString(1, markdown);
                ps.setString(2, name);
                ps.setInt(3, version);
                ps.executeUpdate();
            }
        });
    }

    @Override
    public ModelVersion setTag(String name, int version, String key, String value, String actor) {
        if (key == null || key.isBlank()) {
            throw new InvalidInputException("tag key is empty; give KEY=VALUE");
        }
        return update(name, version, actor, value == null ? "tag " + key + " removed" : "tag " + key + "=" + value, c -> {
            Map<String, String> tags = new TreeMap<>(loadVersions(c, name, version).get(0).tags());
            if (value == null) {
                tags.remove(key);
            } else {
                tags.put(key, value);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE keel_registry_versions SET tags_json = ? WHERE name = ? AND version = ?")) {
                ps.setString(1, Json.compact(tags));
                ps.setString(2, name);
                ps.setInt(3, version);
                ps.executeUpdate();
            }
        });
    }

    private interface Edit {
        void apply(Connection c) throws SQLException;
    }

    private ModelVersion update(String name, int version, String actor, String what, Edit edit) {
        RegistryNames.requireName(name);
        RegistryNames.requireVersion(version);
        String who = actor(actor);
        db.write(COMPONENT, c -> {
            requireVersion(c, name, version);
            edit.apply(c);
            appendEvent(c, RegistryEvent.Type.UPDATED, name, version, null, null, what, who, now());
            return null;
        });
        feed.wake();
        return version(name, version);
    }

    // ---------------------------------------------------------------- events

    private static final String EVENT_COLUMNS = "SELECT seq, type, name, version, alias, previous_version, reason, "
            + "actor, at FROM keel_registry_events";

    private static long appendEvent(Connection c, RegistryEvent.Type type, String name, Integer version, String alias,
            Integer previous, String reason, String actor, Instant at) throws SQLException {
        long seq;
        try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) + 1 FROM keel_registry_events");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            seq = rs.getLong(1);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO keel_registry_events (seq, type, name, version, "
                + "alias, previous_version, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, seq);
            ps.setString(2, type.name());
            ps.setString(3, name);
            setInteger(ps, 4, version);
            ps.setString(5, alias);
            setInteger(ps, 6, previous);
            ps.setString(7, reason);
            ps.setString(8, actor);
            ps.setLong(9, at.toEpochMilli());
            ps.executeUpdate();
        }
        return seq;
    }

    private static RegistryEvent event(ResultSet rs) throws SQLException {
        int version = rs.getInt(4);
        Integer v = rs.wasNull() ? null : version;
        int previous = rs.getInt(6);
        Integer p = rs.wasNull() ? null : previous;
        return new RegistryEvent(rs.getLong(1), RegistryEvent.Type.valueOf(rs.getString(2)), rs.getString(3), v,
                rs.getString(5), p, rs.getString(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)));
    }

    @Override
    public List<RegistryEvent> events(long afterSequence, int limit) {
        if (limit <= 0) {
            throw new InvalidInputException("event limit " + limit + " is not positive; ask for 1 or more");
        }
        return db.read(c -> {
            List<RegistryEvent> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(EVENT_COLUMNS + " WHERE seq > ? ORDER BY seq LIMIT ?")) {
                ps.setLong(1, afterSequence);
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(event(rs));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public long lastSequence() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM keel_registry_events");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Override
    public Subscription subscribe(long afterSequence, RegistryListener listener) {
        if (listener == null) {
            throw new InvalidInputException("registry listener is null");
        }
        return feed.subscribe(afterSequence, listener);
    }

    /** How many times a listener threw (each exception is dropped so the others keep their order). */
    public long listenerFailures() {
        return feed.failures();
    }

    // ---------------------------------------------------------------- open, recover, close

    /**
     * Removes what a crash left: staging folders whose owner died, and version folders that were moved into
     * place by a transaction that never committed. Runs under the write lock, so a registration in flight in
     * another process (which holds the lock from the move to the commit) is never mistaken for a leftover.
     */
    private int recover() {
        int removed = store.cleanStaging();
        List<Map.Entry<String, Integer>> onDisk = store.versionFolders();
        if (onDisk.isEmpty()) {
            return removed;
        }
        return removed + db.write(COMPONENT, c -> {
            Set<String> committed = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name, version FROM keel_registry_versions");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    committed.add(rs.getString(1) + "/" + rs.getInt(2));
                }
            }
            int n = 0;
            for (Map.Entry<String, Integer> e : onDisk) {
                if (!committed.contains(e.getKey() + "/" + e.getValue())) {
                    store.remove(store.versionDir(e.getKey(), e.getValue()));
                    n++;
                }
            }
            return n;
        });
    }

    @Override
    public void close() {
        feed.close();
        db.close();
    }

    private String actor(String given) {
        return given != null && !given.isBlank() ? given : defaultActor;
    }

    private static Instant now() {
        return Instant.ofEpochMilli(System.currentTimeMillis());
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    @Override
    public String toString() {
        return "JdbcModelRegistry[" + location + "]";
    }

    /** Configures where a registry lives and who it says made changes; {@link #build()} opens it. */
    public static final class Builder {
        private String location;
        private Path artifacts;
        private String actor;
        private Duration pollInterval = Duration.ofMillis(500);

        /**
         * A folder (SQLite in {@code FOLDER/keel.db}, artifacts in {@code FOLDER/artifacts}), an SQLite file or
         * {@code jdbc:sqlite:FILE}, or {@code jdbc:postgresql://HOST:PORT/DB?user=U&password=P}, optionally with
         * {@code &keelArtifacts=/shared/keel/artifacts}.
         */
        public Builder location(String v) { location = v; return this; }

        /**
         * The artifact root. Required the first time a PostgreSQL registry is opened (then remembered in the
         * database for every host); optional for SQLite, whose default is {@code artifacts/} beside the database.
         */
        public Builder artifacts(Path v) { artifacts = v; return this; }

        /** Who changes are attributed to when a call names no actor; default {@code user@host}. */
        public Builder actor(String v) { actor = v; return this; }

        /** How often subscriptions look for changes made by other processes (default 500 ms). */
        public Builder pollInterval(Duration v) { pollInterval = v; return this; }

        public JdbcModelRegistry build() {
            if (location == null || location.isBlank()) {
                throw new InvalidInputException("registry location is empty; give a folder or a JDBC URL "
                        + "(jdbc:postgresql://HOST:PORT/DB?user=U&password=P)");
            }
            if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
                throw new InvalidInputException("poll interval " + pollInterval + " is not positive");
            }
            String dbLocation = location;
            Path root = artifacts;
            int param = location.indexOf(ARTIFACTS_PARAMETER + "=");
            if (location.startsWith("jdbc:") && param > 0) {
                int end = location.indexOf('&', param);
                String value = location.substring(param + ARTIFACTS_PARAMETER.length() + 1, end < 0 ? location.length() : end);
                root = root != null ? root : Path.of(java.net.URLDecoder.decode(value, StandardCharsets.UTF_8));
                dbLocation = (location.substring(0, param) + (end < 0 ? "" : location.substring(end + 1)))
                        .replaceAll("[?&]$", "");
            }
            if (root == null && dbLocation.startsWith("jdbc:") && System.getenv(ARTIFACTS_ENV) != null) {
                root = Path.of(System.getenv(ARTIFACTS_ENV));
            }
            if (!dbLocation.startsWith("jdbc:")) {
                Path p = Path.of(dbLocation);
                if (Files.isDirectory(p)) {
                    requireRegistryFolder(p);
                }
            }
            Database db = Database.open(dbLocation);
            try {
                db.migrate(COMPONENT, MIGRATIONS);
                Path resolvedRoot = artifactRoot(db, root, location);
                String who = actor != null ? actor : System.getProperty("user.name", "unknown") + "@" + host();
                String shown = db.dialect() == Dialect.SQLITE && !dbLocation.startsWith("jdbc:")
                        && !Files.isRegularFile(Path.of(dbLocation)) ? Path.of(dbLocation).toAbsolutePath().normalize().toString()
                        : db.description();
                JdbcModelRegistry registry = new JdbcModelRegistry(db, new ArtifactStore(resolvedRoot), shown, who,
                        pollInterval);
                registry.recover();
                return registry;
            } catch (RuntimeException e) {
                db.close();
                throw e;
            }
        }

        /** A folder given as the registry must be one: empty, or holding Keel's database. */
        private static void requireRegistryFolder(Path dir) {
            if (Files.exists(dir.resolve(Database.SQLITE_FILE))) {
                return;
            }
            try (var entries = Files.list(dir)) {
                List<String> names = entries.map(p -> p.getFileName().toString()).sorted().limit(5).toList();
                if (!names.isEmpty()) {
                    throw new InvalidInputException(dir.toAbsolutePath() + " is not a Keel registry: it holds "
                            + names + " but no " + Database.SQLITE_FILE + "; give an empty or new folder for a new "
                            + "registry (a model folder is registered with --model, not --registry)");
                }
            } catch (java.io.IOException e) {
                throw new InvalidInputException("cannot read registry folder " + dir + ": " + e.getMessage(), e);
            }
        }

        private static Path artifactRoot(Database db, Path given, String location) {
            String stored = db.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT value FROM keel_registry_settings WHERE key = ?")) {
                    ps.setString(1, ARTIFACTS_SETTING);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? rs.getString(1) : null;
                    }
                }
            });
            if (given != null) {
                Path abs = given.toAbsolutePath().normalize();
                if (stored == null && db.dialect() == Dialect.POSTGRESQL) {
                    db.write(COMPONENT, c -> {
                        try (PreparedStatement ps = c.prepareStatement(
                                "INSERT INTO keel_registry_settings (key, value) VALUES (?, ?)")) {
                            ps.setString(1, ARTIFACTS_SETTING);
                            ps.setString(2, abs.toString());
                            ps.executeUpdate();
                        }
                        return null;
                    });
                }
                return abs;
            }
            if (stored != null) {
                return Path.of(stored);
            }
            if (db.dialect() == Dialect.SQLITE) {
                return db.file().orElseThrow().resolveSibling("artifacts");
            }
            throw new InvalidInputException("PostgreSQL registry " + db.description()
                    + " has no artifact root yet; give one the first time (a folder on a file system every host "
                    + "mounts): --artifacts DIR, " + ARTIFACTS_ENV + "=DIR, or " + ARTIFACTS_PARAMETER
                    + "=DIR in the JDBC URL");
        }

        private static String host() {
            String h = System.getenv("HOSTNAME");
            if (h == null || h.isBlank()) {
                try {
                    h = java.net.InetAddress.getLocalHost().getHostName();
                } catch (java.io.IOException e) {
                    h = "localhost";
                }
            }
            return h;
        }
    }
}
