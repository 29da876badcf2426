package dev.keel.api.iterate;

import dev.keel.api.InvalidInputException;

/**
 * A model name, version or alias the registry does not hold. A subtype of {@link InvalidInputException}, so
 * the CLI exits 2 and a server can answer 404.
 */
public class ModelNotFoundException extends InvalidInputException {
    public ModelNotFoundException(String message) {
        super(message);
    }
}
