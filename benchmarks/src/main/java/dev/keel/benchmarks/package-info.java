/**
 * Benchmarks as commands that print their figures (never timed tests): each compares Keel with the plain
 * engine or a Java peer, or backends with each other, side by side in one process, as a ratio, because the
 * machines they run on are shared and noisy. Run them with {@code bin/bench CLASS [args]}; every figure, with
 * its command and machine, is in docs/benchmarks.md. Benchmarks may reach into engine code (the pre-training
 * benchmark drives the same DJL block in a plain DJL loop); host applications, in {@code samples/}, may not.
 */
package dev.keel.benchmarks;
