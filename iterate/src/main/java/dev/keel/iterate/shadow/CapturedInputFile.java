package dev.keel.iterate.shadow;

import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.iterate.CapturedInputs;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.data.LabelledExample;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Captured inputs from a file, for {@code keel iterate --shadow FILE} until the inference log exists: one
 * input per line (plain text), or labelled TSV/CSV/JSONL where a label stands for the user's feedback. The
 * file's last lines are the most recent.
 */
public final class CapturedInputFile implements CapturedInputs {
    private final List<CapturedInput> inputs;

    public CapturedInputFile(Path file) {
        List<LabelledExample> examples = LabelledFiles.read(file);
        List<CapturedInput> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            LabelledExample e = examples.get(i);
            out.add(new CapturedInput(file.getFileName() + ":" + (i + 1), e.text(), null,
                    e.hasLabel() ? Feedback.Kind.LABEL : null, e.hasLabel() ? e.label().trim() : null, null));
        }
        this.inputs = List.copyOf(out);
    }

    @Override
    public List<CapturedInput> last(int n) {
        return inputs.subList(Math.max(0, inputs.size() - n), inputs.size());
    }
}
