package dev.keel.api.iterate;

import java.util.List;

/**
 * Where the shadow gate gets recently served inputs. The durable inference log implements it; until then a
 * file of inputs or an in-memory recorder of a running host does.
 */
@FunctionalInterface
public interface CapturedInputs {
    /** The most recent {@code n} served inputs (fewer when fewer exist), oldest first. */
    List<CapturedInput> last(int n);

    /** No captured inputs: the shadow gate then has nothing to replay and reports so. */
    static CapturedInputs none() {
        return n -> List.of();
    }
}
