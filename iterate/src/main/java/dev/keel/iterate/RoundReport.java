package dev.keel.iterate;

import dev.keel.api.iterate.GateReport;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Trigger;
import dev.keel.iterate.gate.Evaluations;
import java.util.Locale;
import java.util.Map;

/** The Markdown a round appends to the challenger's model card: why it ran, what it trained on, every gate. */
final class RoundReport {
    private RoundReport() { }

    static String markdown(Trigger trigger, ModelVersion champion, TrainingPlan plan, Map<String, Object> data,
            GateReport report, Evaluations evaluations) {
        StringBuilder sb = new StringBuilder();
        sb.append("## Continuous-learning round\n\n");
        sb.append("- trigger: ").append(trigger.kind().name().toLowerCase(Locale.ROOT)).append(' ')
                .append(trigger.source()).append(trigger.detail().isEmpty() ? "" : " (" + trigger.detail() + ")")
                .append('\n');
        sb.append("- champion at the start: ").append(champion == null ? "none" : champion.ref()).append('\n');
        sb.append("- training: ").append(plan.toMap()).append('\n');
        if (data.containsKey("new_blocks")) {
            sb.append("- data: ").append(data.get("new_blocks")).append(" blocks of new text (")
                    .append(data.get("new_train_blocks")).append(" trained on), replay ").append(data.get("replay"))
                    .append('\n');
        } else if (data.containsKey("new_pairs")) {
            sb.append("- data: ").append(data.get("new_pairs")).append(" new pairs (")
                    .append(data.get("new_train_pairs")).append(" trained on), replay ").append(data.get("replay"))
                    .append('\n');
        } else {
            sb.append("- data: ").append(data.get("new_rows")).append(" new rows (")
                    .append(data.get("new_train_rows")).append(" trained on), replay ").append(data.get("replay"))
                    .append(", augmented rows ").append(data.get("augmented_rows")).append('\n');
        }
        if (data.get("not_applicable") instanceof Map<?, ?> na && !na.isEmpty()) {
            na.forEach((gate, why) -> sb.append("- not applicable: ").append(gate).append(" (").append(why)
                    .append(")\n"));
        }
        sb.append("- gates: ").append(report.passed() ? "all passed" : report.failures().size() + " failed")
                .append("\n\n");
        sb.append("| | gate | value | champion | bound | detail |\n|---|---|---|---|---|---|\n");
        for (GateResult r : report.results()) {
            sb.append("| ").append(r.passed() ? "pass" : "**FAIL**").append(" | `").append(r.name()).append("` | ")
                    .append(num(r.value())).append(" | ").append(num(r.baseline())).append(" | ")
                    .append(r.comparison()).append(' ').append(num(r.threshold())).append(" | ")
                    .append(r.detail().replace("|", "/")).append(" |\n");
        }
        sb.append("\n| set | metric | champion | challenger |\n|---|---|---|---|\n");
        evaluations.challenger().forEach((set, values) -> values.forEach((metric, v) -> sb.append("| ").append(set)
                .append(" | ").append(metric).append(" | ").append(num(evaluations.champion(set, metric)))
                .append(" | ").append(num(v)).append(" |\n")));
        return sb.toString();
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.4f", v);
    }
}
