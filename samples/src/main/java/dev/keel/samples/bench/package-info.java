/**
 * Benchmarks that print their figures: each compares Keel with a Java peer side by side in one run, as a
 * ratio, because the machines they run on are shared and noisy.
 */
package dev.keel.samples.bench;
