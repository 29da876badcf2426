/**
 * Test hygiene shared by every Keel module's tests: a JUnit extension, found by autodetection, that restores
 * system properties after each test and class, keeps the developer's {@code KEEL_*} environment out of test
 * runs, and points caches at temporary folders. Test-scoped only; hosts never see it.
 */
package dev.keel.testsupport;
