package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import java.time.Instant;
import org.apiguardian.api.API;

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
@API(status = STABLE, since = "0.1")
public record Alert(String monitor, String metric, double value, double threshold, String message, Instant raised) { }
