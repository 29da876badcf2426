package dev.keel.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeelCacheTest {
    @TempDir
    Path dir;

    @Test
    void the_root_comes_from_the_property_then_the_environment_then_xdg_then_home() {
        Map<String, String> props = Map.of("user.home", "/home/u");
        assertThat(KeelCache.fromConfiguration(k -> Map.of("keel.cache", "/p", "user.home", "/home/u").get(k),
                k -> Map.of("KEEL_CACHE", "/e").get(k)).root()).isEqualTo(Path.of("/p"));
        assertThat(KeelCache.fromConfiguration(props::get, k -> Map.of("KEEL_CACHE", "/e", "XDG_CACHE_HOME", "/x").get(k))
                .root()).isEqualTo(Path.of("/e"));
        assertThat(KeelCache.fromConfiguration(props::get, k -> Map.of("XDG_CACHE_HOME", "/x").get(k)).root())
                .isEqualTo(Path.of("/x/keel"));
        assertThat(KeelCache.fromConfiguration(props::get, k -> null).root()).isEqualTo(Path.of("/home/u/.cache/keel"));
    }

    @Test
    void every_cache_folder_lives_under_the_one_root() {
        KeelCache cache = KeelCache.at(dir);
        assertThat(List.of(cache.tokens(), cache.models(), cache.merged(), cache.engine("onnx")))
                .allSatisfy(p -> assertThat(p.getParent()).isEqualTo(dir));
        assertThatThrownBy(() -> cache.engine("../escape")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("../escape");
        assertThatThrownBy(() -> KeelCache.at(null)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("keel.cache");
    }

    @Test
    void an_entry_is_built_once_and_reused() {
        KeelCache cache = KeelCache.at(dir);
        AtomicInteger builds = new AtomicInteger();
        Path first = cache.entry(cache.merged(), "k1", "done", tmp -> write(tmp, builds.incrementAndGet()));
        Path again = cache.entry(cache.merged(), "k1", "done", tmp -> write(tmp, builds.incrementAndGet()));
        assertThat(again).isEqualTo(first);
        assertThat(builds).hasValue(1);
    }

    @Test
    void a_build_that_fails_leaves_nothing_behind_and_the_next_one_succeeds() throws IOException {
        KeelCache cache = KeelCache.at(dir);
        assertThatThrownBy(() -> cache.entry(cache.merged(), "k", "done", tmp -> {
            write(tmp, 1);
            throw new IllegalStateException("interrupted half way");
        })).hasMessageContaining("half way");
        try (Stream<Path> s = Files.list(cache.merged())) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(cache.entry(cache.merged(), "k", "done", tmp -> write(tmp, 2)).resolve("done")).exists();
    }

    @Test
    void builders_racing_for_one_entry_all_get_one_complete_folder_and_leave_no_temporary_ones() throws Exception {
        KeelCache cache = KeelCache.at(dir);
        int racers = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                int id = i;
                results.add(pool.submit(() -> {
                    start.await();
                    return cache.entry(cache.models(), "shared", "done", tmp -> write(tmp, id));
                }));
            }
            start.countDown();
            for (Future<Path> f : results) {
                Path p = f.get();
                assertThat(p).isEqualTo(cache.models().resolve("shared"));
                assertThat(p.resolve("done")).exists();
                assertThat(p.resolve("payload")).exists();
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> s = Files.list(cache.models())) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("shared");
        }
    }

    private static void write(Path folder, int id) {
        try {
            Files.writeString(folder.resolve("payload"), "built by " + id);
            Files.writeString(folder.resolve("done"), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
