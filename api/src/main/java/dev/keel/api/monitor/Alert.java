package dev.keel.api.monitor;

import java.time.Instant;

/**
 * A monitored value crossed its threshold.
 *
 * @param monitor   which monitor
 * @param metric    which value
 * @param value     what it was
 * @param threshold the configured limit
 * @param message   a sentence for humans
 * @param raised    when
 */
public record Alert(String monitor, String metric, double value, double threshold, String message, Instant raised) { }
