/**
 * Promotion gates: MLflow-style metric thresholds (absolute, absolute change and relative change against the
 * champion), their command-line expressions, the metrics a round measures, and the evaluation of every gate
 * with every failure reported together.
 */
package dev.keel.iterate.gate;
