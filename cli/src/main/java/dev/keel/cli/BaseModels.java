package dev.keel.cli;

import dev.keel.api.ModelRef;
import dev.keel.runtime.KeelRuntime;

/**
 * What the adapt verb says while the runtime makes a builtin base portable: builtin models ship as ONNX graphs,
 * which only the onnx backend runs, so a training backend gets the folder {@link KeelRuntime#portable} imports
 * once into the cache ({@code models/NAME} under {@code -Dkeel.cache}, {@code KEEL_CACHE} or
 * {@code ~/.cache/keel}). Opening and backend choice are the runtime's ({@link KeelRuntime#open}).
 */
final class BaseModels {
    private BaseModels() { }

    /** A folder for {@code ref}: itself when it is one, the cached import when it is a builtin. */
    static ModelRef asFolder(KeelRuntime runtime, ModelRef ref, Console console) {
        if (ref.isBuiltin() && !runtime.hasPortable(ref)) {
            console.say("importing " + ref + " into " + runtime.cache().models() + " (once) so a training backend "
                    + "can load it");
        }
        return runtime.portable(ref);
    }
}
