package dev.keel.registry.capture;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.monitor.Feedback;
import java.time.Duration;

/**
 * A separate JVM that writes to a capture store until it is killed, for the crash tests. It prints a line only
 * after a write has returned, so every line the parent read names a write that must survive SIGKILL.
 * <pre>
 * CaptureChild LOCATION feedback          "OK f&lt;i&gt;" after record(label on f&lt;i&gt;) returned, i = 0, 1, ...
 * CaptureChild LOCATION capture EVERY     onInference(c&lt;i&gt;) for i = 0, 1, ...; after every EVERY calls flush(),
 *                                        then "FLUSHED &lt;n&gt;": calls c0 .. c(n-1) are durable
 * CaptureChild LOCATION both EVERY        both at once, on two threads
 * </pre>
 */
public final class CaptureChild {
    private CaptureChild() { }

    public static void main(String[] args) throws Exception {
        JdbcCaptureStore store = JdbcCaptureStore.builder().location(args[0])
                .options(CaptureOptions.builder().flushInterval(Duration.ofMillis(20)).build()).build();
        System.out.println("OPEN");
        System.out.flush();
        Thread feedback = new Thread(() -> {
            for (int i = 0; ; i++) {
                store.record(Feedback.label("f" + i, i % 2 == 0 ? "pos" : "neg"));
                say("OK f" + i);
            }
        });
        Thread capture = new Thread(() -> {
            int every = Integer.parseInt(args[2]);
            for (int i = 0; ; i++) {
                store.onInference(TestCalls.classify("c" + i, "text " + i, "pos"));
                if ((i + 1) % every == 0) {
                    if (store.flush(Duration.ofSeconds(60))) {
                        say("FLUSHED " + (i + 1));
                    }
                    Thread.yield();
                }
            }
        });
        switch (args[1]) {
            case "feedback" -> feedback.start();
            case "capture" -> capture.start();
            case "both" -> {
                feedback.start();
                capture.start();
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[1]);
        }
        feedback.join();
        capture.join();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
