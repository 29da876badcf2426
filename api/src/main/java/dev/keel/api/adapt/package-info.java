/** Adaptation: fine-tuning methods (full, LoRA, head), tasks and the {@link dev.keel.api.adapt.Adapter}. */
package dev.keel.api.adapt;
