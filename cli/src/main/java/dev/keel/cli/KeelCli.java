package dev.keel.cli;

import dev.keel.api.BackendNotFoundException;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.train.TrainingStoppedException;
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
        StopSignals.install();
        int code;
        try {
            code = run(args);
        } catch (OutOfMemoryError e) {
            System.err.println("keel: the JVM ran out of heap (" + e.getMessage() + "); nothing was written where "
                    + "the verb writes atomically. Give it more with KEEL_JAVA_OPTS=-Xmx4g (now "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB)");
            code = 1;
        }
        System.exit(code);
    }

    public static int run(String... args) {
        CommandLine cli = commandLine();
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof TrainingStoppedException stopped) {
                cmd.getErr().println("keel " + cmd.getCommandName() + ": " + stoppedMessage(stopped, cmd.getCommandName(),
                        args));
                return StopSignals.exitCode();
            }
            if (e instanceof StopSignals.Stopped) {
                cmd.getErr().println("keel " + cmd.getCommandName() + ": " + e.getMessage());
                return StopSignals.exitCode();
            }
            boolean badInput = e instanceof InvalidInputException || e instanceof CheckpointException
                    || e instanceof BackendNotFoundException || e instanceof UnsupportedCapabilityException;
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName(" ") + ": " + message(e));
            if (!badInput && System.getenv("KEEL_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            if (StopSignals.requested()) {
                return StopSignals.exitCode(); // whatever failed, it failed because the run was stopped
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

    /** Where the stopped run is and the command that continues it. */
    static String stoppedMessage(TrainingStoppedException e, String verb, String... args) {
        String by = StopSignals.name() != null ? "stopped by " + StopSignals.name() : "stopped";
        StringBuilder m = new StringBuilder(by + " at step " + e.step() + " of " + e.maxSteps());
        if (e.checkpoint().isEmpty()) {
            return m.append("; nothing was saved: run the same command again to start over").toString();
        }
        m.append("; the run is saved in ").append(e.checkpoint().get()).append(". Continue it with: keel");
        boolean hasResume = false;
        for (String a : args) {
            m.append(' ').append(quoted(a));
            hasResume |= a.equals("--resume");
        }
        if (verb.equals("pretrain") && !hasResume) {
            m.append(" --resume");
        }
        return m.toString();
    }

    private static String quoted(String arg) {
        return arg.matches("[A-Za-z0-9_./:=@%+,-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
