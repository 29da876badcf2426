package dev.keel.samples.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start shows this module as it is: each {@code <!-- snippet: FILE -->} block is that file
 * without its package line, and the pom snippet's dependencies are the ones this module compiles and runs with.
 * So the README cannot drift from code the build compiles and {@link HostJourneyTest} runs.
 */
class HostReadmeTest {
    private static final Path ROOT = Path.of("../..");
    private static final Pattern SNIPPET = Pattern.compile("<!-- snippet: (\\S+) -->\\n```(\\w+)\\n(.*?)```",
            Pattern.DOTALL);

    private static String readme() throws IOException {
        return Files.readString(ROOT.resolve("README.md"));
    }

    @Test
    void every_java_snippet_of_the_quick_start_is_a_file_of_the_sample_host_as_it_is() throws IOException {
        Matcher m = SNIPPET.matcher(readme());
        List<String> shown = new ArrayList<>();
        while (m.find()) {
            if (m.group(2).equals("java")) {
                String file = Files.readString(ROOT.resolve(m.group(1)));
                assertThat(m.group(3)).as("README's snippet of %s (copy the file without its package line)", m.group(1))
                        .isEqualTo(file.replaceFirst("\\Apackage [^;]+;\\n\\n", ""));
                shown.add(Path.of(m.group(1)).getFileName().toString());
            }
        }
        try (var files = Files.list(Path.of("src/main/java/dev/keel/samples/host"))) {
            List<String> programs = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("package-info.java")).toList();
            assertThat(shown).as("every program of the sample host appears in the README").containsAll(programs);
        }
    }

    @Test
    void the_pom_snippet_lists_exactly_the_dependencies_the_sample_host_uses() throws IOException {
        Matcher m = SNIPPET.matcher(readme());
        String pom = null;
        while (m.find()) {
            pom = m.group(1).equals("pom") ? m.group(3) : pom;
        }
        assertThat(pom).as("README's <!-- snippet: pom --> block").isNotNull()
                .contains("<artifactId>keel-bom</artifactId>", "<type>pom</type><scope>import</scope>",
                        "<maven.compiler.release>17</maven.compiler.release>");
        String sample = Files.readString(Path.of("pom.xml"));
        String start = "<!-- tag::dependencies[] -->\n";
        String tagged = sample.substring(sample.indexOf(start) + start.length(),
                sample.indexOf("    <!-- end::dependencies[] -->"));
        String open = "\n  <dependencies>\n";
        String shown = pom.substring(pom.indexOf(open) + open.length(), pom.indexOf("\n  </dependencies>") + 1);
        assertThat(shown).isEqualTo(tagged);
    }
}
