package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apiguardian.api.API;

/**
 * One registered, immutable version of a model: its files and their hashes never change after
 * registration. Only the model card and the tags are editable ({@link ModelRegistry#updateModelCard},
 * {@link ModelRegistry#setTag}); they describe the version, they are not part of it.
 *
 * @param name          the model's name in the registry
 * @param version       1, 2, 3, ... per name, dense and never reused
 * @param sha256        the content hash: sha-256 over the sorted lines {@code path<TAB>file-sha256}
 * @param files         every file's sha-256 by path relative to the version folder ('/'-separated)
 * @param sizeBytes     the total size of the files
 * @param kind          pretrained, full, lora or head
 * @param parent        the version of the same name this one was derived from, or null
 * @param lineage       where it came from (base model, method, task, data, training settings)
 * @param metrics       quality figures: keel.json's metrics plus those given at registration
 * @param tags          free key/value labels
 * @param modelCard     Markdown describing the version (generated at registration, editable)
 * @param registeredBy  who or what registered it (a user, {@code keel iterate}, a host's name)
 * @param reason        why it was registered, or null
 * @param registeredAt  when the registration committed
 * @param location      the version's folder in the artifact store; open it through
 *                      {@link ModelRegistry#open}, which checks the hashes first
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record ModelVersion(String name, int version, String sha256, Map<String, String> files, long sizeBytes,
        String kind, Integer parent, Lineage lineage, Map<String, Double> metrics, Map<String, String> tags,
        String modelCard, String registeredBy, String reason, Instant registeredAt, Path location) {

    public ModelVersion {
        RegistryNames.requireName(name);
        RegistryNames.requireVersion(version);
        files = files == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(files));
        lineage = lineage == null ? Lineage.unknown() : lineage;
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        tags = tags == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tags));
        modelCard = modelCard == null ? "" : modelCard;
    }

    /** {@code registry:NAME/VERSION}, the reference that always means exactly this version. */
    public String ref() {
        return "registry:" + name + "/" + version;
    }

    public Optional<Integer> parentVersion() {
        return Optional.ofNullable(parent);
    }
}
