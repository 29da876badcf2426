/**
 * Drift statistics: the per-feature tests chosen by type and sample size as Evidently chooses them
 * (Kolmogorov-Smirnov, chi-square, proportion z-test, Wasserstein, Jensen-Shannon, PSI on request) over
 * Apache Commons Math, model-free text descriptors, and embedding drift by domain classifier and MMD.
 * Pure functions over arrays, used by the drift monitors, {@code keel drift} and the drift benchmark alike.
 */
package dev.keel.monitors.drift;
