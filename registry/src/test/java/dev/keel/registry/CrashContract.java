package dev.keel.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.RegistryEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes killed with SIGKILL at named steps of a write, and two processes writing at once: after a
 * restart the registry is consistent, an alias is on its old or its new version, every write that returned
 * is there, and numbers stay unique and dense. Runs on SQLite and on a real PostgreSQL server.
 */
abstract class CrashContract {
    @TempDir
    Path work;

    /** A new registry's location and artifact root ("-" for the default). */
    abstract String location();

    abstract String artifacts();

    JdbcModelRegistry open() {
        JdbcModelRegistry.Builder b = JdbcModelRegistry.builder().location(location());
        if (!artifacts().equals("-")) {
            b.artifacts(Path.of(artifacts()));
        }
        return b.build();
    }

    private ChildProcess child(String pauseAt, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(location(), artifacts()));
        all.addAll(List.of(args));
        return ChildProcess.start(Files.createTempFile(work, "child", ".err"), pauseAt, all.toArray(String[]::new));
    }

    @Test
    void a_registration_killed_after_the_copy_and_before_the_commit_leaves_no_version_and_no_files() throws Exception {
        Path src = TestModels.pretrained(work.resolve("src"), 1);
        try (JdbcModelRegistry r = open()) {
            r.register("m", TestModels.pretrained(work.resolve("first"), 0));
        }
        Path root = artifacts().equals("-") ? Path.of(location()).resolve("artifacts") : Path.of(artifacts());
        try (ChildProcess c = child(PausePoints.REGISTER_BEFORE_COMMIT, "register", "m", src.toString())) {
            c.await("KEEL-PAUSED");
            // the copy is complete and moved into place inside the transaction, which has not committed
            assertThat(root.resolve("m/2/model.safetensors")).exists();
            c.kill();
        }
        try (JdbcModelRegistry r = open()) {
            assertThat(r.versions("m")).extracting(ModelVersion::version).containsExactly(1);
            assertThat(r.artifactRoot().resolve("m/2")).doesNotExist();
            assertThat(stagingLeft(r)).isEmpty();
            assertThat(r.events(0, 10)).hasSize(1);
            assertThat(r.register("m", src).version()).isEqualTo(2);
            assertThat(r.verify("m", 2).ok()).isTrue();
        }
    }

    @Test
    void a_registration_killed_while_copying_leaves_only_a_staging_folder_that_the_next_open_removes() throws Exception {
        Path src = TestModels.pretrained(work.resolve("src"), 1);
        try (JdbcModelRegistry r = open(); ChildProcess c = child(PausePoints.REGISTER_COPYING, "register", "m", src.toString())) {
            c.await("KEEL-PAUSED");
            assertThat(stagingLeft(r)).isNotEmpty();
            c.kill();
        }
        try (JdbcModelRegistry r = open()) {
            assertThat(stagingLeft(r)).isEmpty();
            assertThat(r.names()).isEmpty();
        }
    }

    @Test
    void an_alias_move_killed_before_its_commit_leaves_the_alias_on_its_old_version_and_a_finished_one_on_the_new()
            throws Exception {
        try (JdbcModelRegistry r = open()) {
            r.register("m", TestModels.pretrained(work.resolve("a"), 1));
            r.register("m", TestModels.pretrained(work.resolve("b"), 2));
            r.setAlias("m", "champion", 1, "launch", null);
        }
        try (ChildProcess c = child(PausePoints.ALIAS_BEFORE_COMMIT, "alias", "m", "champion", "2")) {
            c.await("KEEL-PAUSED");
            c.kill();
        }
        try (JdbcModelRegistry r = open()) {
            assertThat(r.aliases("m")).containsEntry("champion", 1);
            assertThat(r.aliasHistory("m", "champion")).hasSize(1);
        }
        try (ChildProcess c = child(null, "alias", "m", "champion", "2")) {
            c.await("DONE ALIAS 2");
            assertThat(c.waitFor()).isZero();
        }
        try (JdbcModelRegistry r = open()) {
            assertThat(r.aliases("m")).containsEntry("champion", 2);
            assertThat(r.aliasHistory("m", "champion")).extracting(AliasChange::version).containsExactly(1, 2);
        }
    }

    @Test
    void every_write_that_returned_before_a_kill_is_there_after_the_restart() throws Exception {
        List<String> done;
        try (ChildProcess c = child(null, "churn", "m", work.resolve("churn").toString(), "50")) {
            for (int i = 0; i < 5; i++) {
                c.await("DONE ALIAS");
            }
            c.kill(); // somewhere in the middle of the next registration or alias move
            done = c.lines().stream().filter(l -> l.startsWith("DONE")).toList();
        }
        List<Integer> registered = done.stream().filter(l -> l.startsWith("DONE REGISTERED"))
                .map(l -> Integer.parseInt(l.split(" ")[2])).toList();
        List<Integer> moved = done.stream().filter(l -> l.startsWith("DONE ALIAS"))
                .map(l -> Integer.parseInt(l.split(" ")[2])).toList();
        try (JdbcModelRegistry r = open()) {
            List<Integer> versions = r.versions("m").stream().map(ModelVersion::version).toList();
            assertThat(versions).containsAll(registered);
            assertThat(versions).isEqualTo(IntStream.rangeClosed(1, versions.size()).boxed().toList());
            assertThat(versions.size()).isBetween(registered.size(), registered.size() + 1);
            List<Integer> history = r.aliasHistory("m", "champion").stream().map(AliasChange::version).toList();
            assertThat(history).startsWith(moved.toArray(Integer[]::new));
            assertThat(history.size()).isBetween(moved.size(), moved.size() + 1);
            assertThat(r.aliases("m").get("champion")).isEqualTo(history.get(history.size() - 1));
            for (int v : versions) {
                assertThat(r.verify("m", v).ok()).as("m/%d verifies", v).isTrue();
            }
            assertThat(folders(r, "m")).isEqualTo(versions.size());
            assertThat(stagingLeft(r)).isEmpty();
        }
    }

    @Test
    void two_processes_registering_and_moving_an_alias_at_once_get_unique_dense_versions_and_a_complete_history()
            throws Exception {
        try (JdbcModelRegistry r = open()) {
            r.names(); // created and migrated before the race, as a deployed registry would be
        }
        int each = 6;
        List<String> lines = new ArrayList<>();
        try (ChildProcess a = child(null, "churn", "m", work.resolve("a").toString(), Integer.toString(each));
             ChildProcess b = child(null, "churn", "m", work.resolve("b").toString(), Integer.toString(each))) {
            assertThat(a.waitFor()).as("child a: %s", a.stderr()).isZero();
            assertThat(b.waitFor()).as("child b: %s", b.stderr()).isZero();
            lines.addAll(a.lines());
            lines.addAll(b.lines());
        }
        List<Integer> registered = lines.stream().filter(l -> l.startsWith("DONE REGISTERED"))
                .map(l -> Integer.parseInt(l.split(" ")[2])).sorted().toList();
        assertThat(registered).isEqualTo(IntStream.rangeClosed(1, 2 * each).boxed().toList());
        try (JdbcModelRegistry r = open()) {
            assertThat(r.versions("m")).extracting(ModelVersion::version)
                    .isEqualTo(IntStream.rangeClosed(1, 2 * each).boxed().toList());
            List<RegistryEvent> events = r.events(0, 1000);
            assertThat(events).extracting(RegistryEvent::sequence)
                    .isEqualTo(IntStream.rangeClosed(1, 4 * each).mapToObj(i -> (long) i).toList());
            assertThat(r.aliasHistory("m", "champion")).hasSize(2 * each);
            assertThat(events.stream().map(RegistryEvent::actor).distinct()).hasSize(2);
            assertThat(folders(r, "m")).isEqualTo(2 * each);
        }
    }

    private static List<Path> stagingLeft(JdbcModelRegistry r) throws Exception {
        try (Stream<Path> s = Files.list(r.artifactRoot().resolve(ArtifactStore.STAGING))) {
            return s.toList();
        }
    }

    private static long folders(JdbcModelRegistry r, String name) throws Exception {
        try (Stream<Path> s = Files.list(r.artifactRoot().resolve(name))) {
            return s.count();
        }
    }
}
