/**
 * Monitoring: inference events, user feedback, the {@link dev.keel.api.monitor.Monitor} plugin interface,
 * snapshots and alerts.
 */
package dev.keel.api.monitor;
