/**
 * Measuring champion and challenger for the gates: quality on labelled sets, bias on counterfactual probes
 * (through the monitors' own bias arithmetic), serving on each backend (loads, answers, p99 latency), and
 * shadow replay of recently served inputs.
 */
package dev.keel.iterate.eval;
