package dev.keel.registry;

import dev.keel.api.iterate.Lineage;
import java.time.Instant;
import java.util.Map;

/**
 * The Markdown model card generated at registration from what the registry knows: identity, kind and
 * architecture, lineage, data fingerprints, training settings, metrics, tags, provenance and files. It is a
 * starting point: {@code ModelRegistry.updateModelCard} replaces it with an edited one (intended use,
 * limitations, ethical considerations are for people to write).
 */
final class ModelCards {
    private ModelCards() { }

    static String generate(String name, int version, String kind, String family, Lineage lineage, Integer parent,
            Map<String, Double> metrics, Map<String, String> tags, String actor, String reason, Instant at,
            Map<String, ArtifactStore.FileHash> files, String sha256) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(name).append(" version ").append(version).append("\n\n");
        md.append("- Reference: `registry:").append(name).append('/').append(version).append("`\n");
        md.append("- Kind: ").append(kind).append(family == null ? "" : " (" + family + ")").append('\n');
        md.append("- Content sha-256: `").append(sha256).append("`\n");
        if (parent != null) {
            md.append("- Parent: `registry:").append(name).append('/').append(parent).append("`\n");
        }
        md.append("- Registered ").append(at).append(" by ").append(actor)
                .append(reason == null ? "" : ": " + reason).append("\n\n");

        md.append("## Lineage\n\n");
        row(md, "Base model", lineage.baseModel());
        row(md, "Base in the registry", lineage.baseVersion());
        row(md, "Base sha-256", lineage.baseSha256());
        row(md, "Method", lineage.method());
        row(md, "Task", lineage.task());
        row(md, "Written by", lineage.createdBy());
        if (!lineage.ancestors().isEmpty()) {
            row(md, "Ancestors", String.join(" <- ", lineage.ancestors()));
        }
        md.append('\n');
        table(md, "Training data", "data", "sha-256", lineage.data());
        table(md, "Training settings", "setting", "value", lineage.training());
        table(md, "Metrics", "metric", "value", metrics);
        table(md, "Tags", "tag", "value", tags);

        md.append("## Files\n\n| file | bytes | sha-256 |\n| --- | ---: | --- |\n");
        files.forEach((path, h) -> md.append("| ").append(path).append(" | ").append(h.size()).append(" | `")
                .append(h.sha256()).append("` |\n"));
        md.append("\n## Intended use and limitations\n\n_Not written yet: edit this card with "
                + "`ModelRegistry.updateModelCard`._\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String key, String value) {
        if (value != null && !value.isBlank()) {
            md.append("- ").append(key).append(": ").append(value).append('\n');
        }
    }

    private static void table(StringBuilder md, String title, String key, String value, Map<String, ?> rows) {
        if (rows.isEmpty()) {
            return;
        }
        md.append("## ").append(title).append("\n\n| ").append(key).append(" | ").append(value)
                .append(" |\n| --- | --- |\n");
        rows.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append('\n');
    }
}
