/**
 * Measuring champion and challenger for the gates: quality on labelled sets, bias on counterfactual probes
 * (through the monitors' own bias arithmetic), serving on each backend (loads, answers, p99 latency), and
 * shadow replay of recently served inputs; for gpt2 language models, loss and perplexity of texts and of the
 * responses of prompt/response pairs, greedy generation for serving, and agreement of greedy continuations.
 */
package dev.keel.iterate.eval;
