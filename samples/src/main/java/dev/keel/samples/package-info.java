/**
 * Small host applications that show Keel in use through its public API only (api, runtime, monitors): they never
 * import a backend class, which an architecture test checks. Benchmarks live in the benchmarks module.
 */
package dev.keel.samples;
