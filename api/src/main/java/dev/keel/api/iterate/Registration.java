package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apiguardian.api.API;

/**
 * What to register: a model folder under a name, with what the registry cannot read from the folder itself.
 * <pre>
 * registry.register(Registration.of("sentiment", Path.of("runs/sentiment"))
 *         .metric("dev_accuracy", 0.91).tag("data", "sst2").alias("challenger")
 *         .reason("weekly retrain").actor("keel iterate").build());
 * </pre>
 *
 * @param name       the model's name (see {@link RegistryNames})
 * @param folder     the model folder to copy (pretrained, full, LoRA or head)
 * @param parent     the version this one derives from; null lets the registry infer it (the registered
 *                   version of the same name the folder's base is, if any)
 * @param metrics    figures added to keel.json's metrics (these win on a clash)
 * @param tags       free key/value labels
 * @param alias      an alias to point at the new version in the same transaction, or null
 * @param reason     why it is registered (kept in the version and in the event)
 * @param actor      who or what registers it; null means the registry's default (user@host)
 * @param modelCard  Markdown to use instead of the generated card, or null
 * @param baseName   where an adapter's unregistered base folder is registered; null means {@code NAME-base}
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record Registration(String name, Path folder, Integer parent, Map<String, Double> metrics,
        Map<String, String> tags, String alias, String reason, String actor, String modelCard, String baseName) {

    public Registration {
        RegistryNames.requireName(name);
        if (folder == null) {
            throw new InvalidInputException("registration of '" + name + "' has no model folder; give the folder "
                    + "written by keel pretrain, keel adapt or keel import");
        }
        if (parent != null) {
            RegistryNames.requireVersion(parent);
        }
        if (alias != null) {
            RegistryNames.requireAlias(alias);
        }
        if (baseName != null) {
            RegistryNames.requireName(baseName);
        }
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        metrics.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null || !Double.isFinite(v)) {
                throw new InvalidInputException("metric '" + k + "' = " + v + " is not valid; give a name and a "
                        + "finite number");
            }
        });
        tags = tags == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tags));
        tags.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null) {
                throw new InvalidInputException("tag '" + k + "' = " + v + " is not valid; give KEY=VALUE");
            }
        });
    }

    public static Builder of(String name, Path folder) {
        return new Builder(name, folder);
    }

    public Optional<String> aliasToSet() {
        return Optional.ofNullable(alias);
    }

    /** Builds a {@link Registration}; {@link #build()} checks every value. */
    public static final class Builder {
        private final String name;
        private final Path folder;
        private Integer parent;
        private final Map<String, Double> metrics = new LinkedHashMap<>();
        private final Map<String, String> tags = new TreeMap<>();
        private String alias;
        private String reason;
        private String actor;
        private String modelCard;
        private String baseName;

        private Builder(String name, Path folder) {
            this.name = name;
            this.folder = folder;
        }

        public Builder parent(Integer v) { parent = v; return this; }
        public Builder metric(String key, double value) { metrics.put(key, value); return this; }
        public Builder metrics(Map<String, Double> v) { metrics.putAll(v); return this; }
        public Builder tag(String key, String value) { tags.put(key, value); return this; }
        public Builder tags(Map<String, String> v) { tags.putAll(v); return this; }
        public Builder alias(String v) { alias = v; return this; }
        public Builder reason(String v) { reason = v; return this; }
        public Builder actor(String v) { actor = v; return this; }
        public Builder modelCard(String v) { modelCard = v; return this; }
        public Builder baseName(String v) { baseName = v; return this; }

        public Registration build() {
            return new Registration(name, folder, parent, metrics, tags, alias, reason, actor, modelCard, baseName);
        }
    }
}
