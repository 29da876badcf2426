/**
 * Sources of captured inputs for the shadow gate: an in-memory recorder of a running host's classified inputs
 * joined with feedback, and a file. The durable inference log (issue 10's capture) will implement
 * {@link dev.keel.api.iterate.CapturedInputs} the same way.
 */
package dev.keel.iterate.shadow;
