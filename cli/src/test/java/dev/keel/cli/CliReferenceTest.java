package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/cli.md is the CLI's reference inside the project: its hand-written part (common options, exit codes,
 * file formats, each verb's JSON keys) and a part generated from picocli (every verb's --help). This test keeps
 * the generated part equal to the code and checks that the JSON table names every verb. When a verb or flag
 * changes, regenerate with
 * {@code ./mvnw -q -pl cli -am verify -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dkeel.writeCliReference=true}.
 */
class CliReferenceTest {
    static final Path DOC = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "docs", "cli.md");
    static final String BEGIN = "<!-- generated from picocli by CliReferenceTest: do not edit below -->";
    static final String END = "<!-- end of the generated part -->";

    @Test
    void docs_cli_md_holds_every_verbs_help_as_the_code_has_it() throws IOException {
        Path doc = DOC.toAbsolutePath().normalize();
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertThat(begin).as("docs/cli.md has the marker " + BEGIN).isNotNegative();
        assertThat(end).as("docs/cli.md has the marker " + END).isGreaterThan(begin);
        String generated = BEGIN + "\n\n" + render() + "\n" + END;
        String updated = text.substring(0, begin) + generated + text.substring(end + END.length());
        if (Boolean.getBoolean("keel.writeCliReference") && !updated.equals(text)) {
            Files.writeString(doc, updated, StandardCharsets.UTF_8);
            text = updated;
        }
        assertThat(text).as("docs/cli.md is out of date with the CLI's verbs and flags; regenerate it with ./mvnw -q -pl cli "
                + "-am verify -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dkeel.writeCliReference=true")
                .isEqualTo(updated);
    }

    @Test
    void the_json_table_of_docs_cli_md_names_every_verb() throws IOException {
        String text = Files.readString(DOC.toAbsolutePath().normalize(), StandardCharsets.UTF_8);
        String table = text.substring(0, Math.max(0, text.indexOf(BEGIN)));
        List<String> missing = new ArrayList<>();
        for (String verb : verbNames(KeelCli.commandLine(), "")) {
            if (!Pattern.compile("^\\| `" + Pattern.quote(verb) + "`", Pattern.MULTILINE).matcher(table).find()) {
                missing.add(verb);
            }
        }
        assertThat(missing).as("verbs without a row (purpose, required flags, JSON keys) in docs/cli.md's tables")
                .isEmpty();
    }

    /** Every verb's usage, the top level first, each under a heading, in the order --help lists them. */
    static String render() {
        StringBuilder out = new StringBuilder();
        append(out, KeelCli.commandLine(), "keel");
        return out.toString();
    }

    private static void append(StringBuilder out, CommandLine cmd, String name) {
        cmd.setUsageHelpWidth(110);
        out.append("### `").append(name).append("`\n\n```\n")
                .append(cmd.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing()).append("\n```\n\n");
        for (CommandLine sub : cmd.getSubcommands().values()) {
            append(out, sub, name + " " + sub.getCommandName());
        }
    }

    private static List<String> verbNames(CommandLine cmd, String prefix) {
        List<String> names = new ArrayList<>();
        for (CommandLine sub : cmd.getSubcommands().values()) {
            String name = prefix + sub.getCommandName();
            names.add(name);
            names.addAll(verbNames(sub, name + " "));
        }
        return names;
    }
}
