package dev.keel.spark.train;

import dev.keel.api.KeelException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A child JVM that does one worker's training, started from this JVM's own Java and class path, and the
 * channel to it. Why a child: DJL's gradient collector is process-wide, and in {@code local[N]} every Spark
 * task is a thread of one JVM, so two trainings cannot share the executor's JVM.
 *
 * <p>The channel is a socket on the loopback interface (127.0.0.1, an ephemeral port): the child's
 * standard output belongs to the engines (native code prints where it likes), so it goes to a log file,
 * and the socket carries only framed messages. The child proves itself with a random token it reads from
 * its standard input, so no other local process can take its place.
 *
 * <p>No orphans: the parent keeps the child's standard input open and never writes to it after the
 * handshake; the child watches it ({@link Child#connect}) and halts the moment it reads end-of-file, which
 * the kernel delivers when the parent process dies for any reason, {@code kill -9} included. When the task
 * ends or is killed, {@link #close} kills the child and its descendants.
 */
public final class WorkerProcess implements AutoCloseable {
    /** Exit status of a child whose parent went away. */
    public static final int ORPHANED = 86;
    private static final int POLL_MS = 1000;

    private final Process process;
    private final Path log;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    private WorkerProcess(Process process, Path log, Socket socket) throws IOException {
        this.process = process;
        this.log = log;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    /**
     * Starts {@code mainClass} in a child JVM and waits until it has connected.
     *
     * @param jvmOptions options before the class name (heap, system properties)
     * @param environment variables added to this JVM's environment
     * @param args       the child's arguments
     * @param log        where the child's standard output and error go
     * @param cancelled  polled while waiting; true stops the start (the task was killed)
     */
    public static WorkerProcess start(String mainClass, List<String> jvmOptions, Map<String, String> environment,
            List<String> args, Path log, BooleanSupplier cancelled) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        Path argFile = log.resolveSibling(log.getFileName() + ".classpath");
        command.add("@" + argFile);
        command.add(mainClass);
        command.addAll(args);
        Process process = null;
        try (ServerSocket server = new ServerSocket()) {
            // the class path goes in an argument file: a cluster's can pass the kernel's 128 KiB limit on one
            // argument, and the command line stays short enough to show the main class in ps
            Files.writeString(argFile, "-cp \"" + classPath().replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            server.setSoTimeout(POLL_MS);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(environment);
            process = pb.start();
            String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            OutputStream stdin = process.getOutputStream();
            stdin.write((server.getLocalPort() + " " + token + "\n").getBytes(StandardCharsets.US_ASCII));
            stdin.flush(); // and kept open: its end-of-file tells the child that this JVM is gone
            while (true) {
                if (!process.isAlive()) {
                    throw new KeelException("the training worker JVM exited with status " + process.exitValue()
                            + " before it connected; its log (" + log + ") ends with:\n" + tail(log));
                }
                if (cancelled.getAsBoolean()) {
                    throw new KeelException("the task was cancelled while its training worker JVM started");
                }
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                byte[] proof = new DataInputStream(s.getInputStream()).readUTF().getBytes(StandardCharsets.US_ASCII);
                if (!java.security.MessageDigest.isEqual(proof, token.getBytes(StandardCharsets.US_ASCII))) {
                    s.close(); // not our child: keep waiting for it
                    continue;
                }
                s.setSoTimeout(0);
                return new WorkerProcess(process, log, s);
            }
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                kill(process);
            }
            if (e instanceof KeelException k) {
                throw k;
            }
            throw new KeelException("cannot start a training worker JVM (" + String.join(" ", command.subList(0, 1))
                    + " ... " + mainClass + "): " + e.getMessage(), e);
        }
    }

    /**
     * This JVM's class path for the child: {@code java.class.path} plus the jars of the class loaders between
     * the context loader and the system loader (Spark puts {@code --jars} in such a loader, not on
     * {@code java.class.path}).
     */
    static String classPath() {
        LinkedHashSet<String> entries = new LinkedHashSet<>(List.of(System.getProperty("java.class.path")
                .split(File.pathSeparator)));
        List<String> loaded = new ArrayList<>();
        for (ClassLoader l = Thread.currentThread().getContextClassLoader(); l != null
                && l != ClassLoader.getSystemClassLoader(); l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        if ("file".equals(url.getProtocol())) {
                            loaded.add(Path.of(url.toURI()).toString());
                        }
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        // a URL that is no file: the child cannot load from it either
                    }
                }
            }
        }
        entries.addAll(loaded);
        entries.remove("");
        return String.join(File.pathSeparator, entries);
    }

    public DataInputStream in() {
        return in;
    }

    public DataOutputStream out() {
        return out;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Waits for the next message's first byte, polling {@code cancelled} and the child's life every second,
     * then returns it (the rest of the message follows at once).
     *
     * @throws KeelException when the child exits without a message, or {@code cancelled} turns true
     */
    public int awaitMessage(BooleanSupplier cancelled) throws IOException {
        socket.setSoTimeout(POLL_MS);
        try {
            while (true) {
                try {
                    int type = in.read();
                    if (type < 0) {
                        throw died();
                    }
                    return type;
                } catch (SocketTimeoutException e) {
                    if (cancelled.getAsBoolean()) {
                        throw new KeelException("the task was cancelled; its training worker JVM is stopped");
                    }
                    if (!process.isAlive()) {
                        throw died();
                    }
                }
            }
        } finally {
            socket.setSoTimeout(0);
        }
    }

    /** The error for a child that went away: its exit status and the end of its log. */
    public KeelException died() {
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String status = process.isAlive() ? "closed its connection" : "exited with status " + process.exitValue();
        return new KeelException("the training worker JVM " + status + " without finishing; its log (" + log
                + ") ends with:\n" + tail(log));
    }

    /** The last lines of the child's log, for error messages. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Kills the child and whatever it started, and waits (briefly) until they are gone. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // the child is killed below either way
        }
        kill(process);
    }

    private static void kill(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        for (ProcessHandle h : tree) {
            h.destroyForcibly();
        }
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // destroyForcibly is SIGKILL: it goes; the wait only keeps the task from ending first
            }
        }
    }

    /** The child's side: the handshake and the watch on the parent. */
    public static final class Child {
        private Child() { }

        /**
         * Reads the port and token from standard input, starts the watch that halts this JVM when standard input
         * reaches end-of-file (the parent is gone), connects and proves itself.
         */
        public static Socket connect() throws IOException {
            InputStream stdin = System.in;
            StringBuilder line = new StringBuilder();
            for (int c = stdin.read(); c != '\n'; c = stdin.read()) {
                if (c < 0) {
                    Runtime.getRuntime().halt(ORPHANED);
                }
                line.append((char) c);
            }
            Thread watch = new Thread(() -> {
                try {
                    while (stdin.read() >= 0) {
                        // the parent never writes again; anything read is ignored
                    }
                } catch (IOException e) {
                    // a broken pipe means the same as end-of-file
                }
                Runtime.getRuntime().halt(ORPHANED);
            }, "keel-parent-watch");
            watch.setDaemon(true);
            watch.start();
            String[] parts = line.toString().trim().split(" ");
            Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(parts[0]));
            s.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeUTF(parts[1]);
            out.flush();
            return s;
        }
    }
}
