package dev.keel.cli;

import dev.keel.api.BackendNotFoundException;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code keel VERB [options]}: the command line contract of {@code shared/docs/CLI.md}. Exit 0 on success,
 * 2 for bad arguments or bad input (with a message naming the problem and the fix), 1 for other failures.
 */
@Command(name = "keel", mixinStandardHelpOptions = true, version = "keel 0.1.0",
        description = "Pre-train, adapt, serve and monitor foundation models in the JVM.")
public final class KeelCli {
    /** Every verb, in the order --help lists them. Add new verbs here. */
    static List<Object> verbs() {
        return List.of(new BackendsCommand(), new PretrainCommand(), new EvaluateCommand(), new GenerateCommand(),
                new EmbedCommand(), new ImportCommand(), new ExportCommand(), new AdaptCommand(), new ClassifyCommand(), new DriftCommand(), new MonitorCommand(), new RegistryCommand(), new FeedbackCommand(), new ServeCommand(), new IterateCommand(), new DemoCommand());
    }

    /**
     * The command line's process: the one place Keel sets a JVM-wide setting, DJL's offline flag (before any
     * engine loads, so DJL makes no telemetry call), because the process is Keel's own. Library code never does;
     * hosts set it themselves (docs/api.md).
     */
    public static void main(String[] args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = commandLine();
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean badInput = e instanceof InvalidInputException || e instanceof CheckpointException
                    || e instanceof BackendNotFoundException || e instanceof UnsupportedCapabilityException;
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName(" ") + ": " + message(e));
            if (!badInput && System.getenv("KEEL_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return badInput ? 2 : 1;
        });
        return cli.execute(args);
    }

    /** The command line with every verb, as run and as docs/cli.md documents it. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new KeelCli());
        verbs().forEach(cli::addSubcommand);
        return cli;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
