/**
 * Getting monitor figures out: Micrometer meters per inference named after the OpenTelemetry GenAI
 * conventions, every snapshot value as a gauge or counter for Prometheus, and the self-contained HTML and
 * JSON monitor report.
 */
package dev.keel.monitors.export;
