/**
 * A monitor plugin as a third party writes one: a {@link dev.keel.api.monitor.Monitor} listed in
 * {@code META-INF/services/dev.keel.api.monitor.Monitor}, built by the hub with its {@code keel.monitor.*} settings.
 */
package dev.keel.samples.plugin;
