/**
 * Monitoring in use: a small HTTP text service with every monitor, Prometheus scraping and the monitor
 * report ({@link dev.keel.samples.monitoring.MonitoredService}), a demo that drives it with SST-2 and Tiny
 * Shakespeare traffic (the monitoring overhead and drift quality benchmarks are in the benchmarks module).
 */
package dev.keel.samples.monitoring;
