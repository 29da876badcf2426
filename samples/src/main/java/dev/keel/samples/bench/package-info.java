/**
 * Benchmarks as commands that print their figures (never timed tests): each compares Keel with the plain
 * engine or a Java peer side by side in one process, as a ratio, because the machines they run on are
 * shared and noisy.
 */
package dev.keel.samples.bench;
