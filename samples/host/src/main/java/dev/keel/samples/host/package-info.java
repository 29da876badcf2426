/**
 * A host application built from the README's quick start: one class per stage, each a complete program that uses
 * the public API only (the README shows these files as they are, and a test runs them).
 */
package dev.keel.samples.host;
