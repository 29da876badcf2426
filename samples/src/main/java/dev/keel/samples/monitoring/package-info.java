/**
 * Monitoring in use: a small HTTP text service with every monitor, Prometheus scraping and the monitor
 * report ({@link dev.keel.samples.monitoring.MonitoredService}), a demo that drives it with SST-2 and Tiny
 * Shakespeare traffic, and the benchmarks for monitoring overhead and drift detection quality.
 */
package dev.keel.samples.monitoring;
