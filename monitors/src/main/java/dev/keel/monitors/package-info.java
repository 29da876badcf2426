/**
 * The monitor hub: hands inference events and feedback from the serving path to {@link
 * dev.keel.api.monitor.Monitor}s asynchronously (bounded queues, drops counted, failing or slow monitors
 * isolated), joins late feedback to its inference, checks alert rules, and discovers monitors with
 * ServiceLoader under {@link dev.keel.monitors.MonitorConfig} settings.
 */
package dev.keel.monitors;
