package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import org.apiguardian.api.API;

/**
 * A model name, version or alias the registry does not hold. A subtype of {@link InvalidInputException}, so
 * the CLI exits 2 and a server can answer 404.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public class ModelNotFoundException extends InvalidInputException {
    public ModelNotFoundException(String message) {
        super(message);
    }
}
