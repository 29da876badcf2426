package dev.keel.registry;

import dev.keel.api.iterate.AliasChange;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import java.nio.file.Path;

/**
 * A separate JVM that writes to a registry, for the crash and concurrency tests: they start it, read its
 * output (one {@code DONE ...} line after each write that returned), and kill it with SIGKILL.
 * <pre>
 * RegistryChild LOCATION ARTIFACTS|- register NAME FOLDER
 * RegistryChild LOCATION ARTIFACTS|- alias NAME ALIAS VERSION
 * RegistryChild LOCATION ARTIFACTS|- churn NAME WORKDIR COUNT   (register a new folder, move 'champion' to it; COUNT times)
 * </pre>
 */
public final class RegistryChild {
    private RegistryChild() { }

    public static void main(String[] args) {
        JdbcModelRegistry.Builder b = JdbcModelRegistry.builder().location(args[0]).actor("child-" + ProcessHandle.current().pid());
        if (!args[1].equals("-")) {
            b.artifacts(Path.of(args[1]));
        }
        try (JdbcModelRegistry registry = b.build()) {
            System.out.println("OPEN");
            System.out.flush();
            switch (args[2]) {
                case "register" -> {
                    ModelVersion v = registry.register(args[3], Path.of(args[4]));
                    done("REGISTERED " + v.version());
                }
                case "alias" -> {
                    AliasChange c = registry.setAlias(args[3], args[4], Integer.parseInt(args[5]), "child", null);
                    done("ALIAS " + c.version() + " " + c.sequence());
                }
                case "churn" -> {
                    Path work = Path.of(args[4]);
                    int count = Integer.parseInt(args[5]);
                    long pid = ProcessHandle.current().pid();
                    for (int i = 0; i < count; i++) {
                        Path folder = TestModels.pretrained(work.resolve(pid + "-" + i), pid * 1000 + i);
                        ModelVersion v = registry.register(Registration.of(args[3], folder).reason("churn " + i).build());
                        done("REGISTERED " + v.version());
                        AliasChange c = registry.setAlias(args[3], "champion", v.version(), "churn " + i, null);
                        done("ALIAS " + c.version() + " " + c.sequence());
                    }
                }
                default -> throw new IllegalArgumentException("unknown command " + args[2]);
            }
        }
    }

    private static void done(String what) {
        System.out.println("DONE " + what);
        System.out.flush();
    }
}
