/**
 * Iteration plumbing that needs the registry: sessions that follow a registry alias as it moves. (The durable
 * inference log and feedback store live in {@code keel-registry}; the runtime reaches them through
 * {@code KeelRuntime.builder().capture(...)}.)
 */
package dev.keel.runtime.iterate;
