/**
 * The inference log and the feedback joined to it ({@link dev.keel.registry.capture.JdbcCaptureStore}):
 * captured calls written off the inference thread in batches, feedback committed on return, exports of labelled
 * training data with their manifest, on the registry's database layer (SQLite or PostgreSQL, tables
 * {@code keel_capture_*} with their own migration history).
 */
package dev.keel.registry.capture;
