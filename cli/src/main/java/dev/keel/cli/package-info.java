/** The {@code keel} command line: one picocli command per verb, following shared/docs/CLI.md. */
package dev.keel.cli;
