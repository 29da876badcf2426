package dev.keel.benchmarks;

import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The method the overhead benchmarks share: one session, a {@link Switch} in front of the listener under test
 * that forwards every third single-sentence {@code embed} call, the other two not forwarded (their comparison
 * is the noise floor), the order rotating every call, since two sessions of one model differ by more than the
 * effect on a busy machine. The switch also times the forwarding: the only part on the caller's thread.
 */
final class ListenerOverhead {
    private ListenerOverhead() { }

    /** Forwards to the listener under test only while on, and times the forwarding. */
    static final class Switch implements InferenceListener {
        private final InferenceListener target;
        volatile boolean on;
        long lastNanos;

        Switch(InferenceListener target) {
            this.target = target;
        }

        @Override
        public void onInference(InferenceEvent event) {
            if (on) {
                long t0 = System.nanoTime();
                target.onInference(event);
                lastNanos = System.nanoTime() - t0;
            }
        }
    }

    /** Call latencies in nanoseconds: forwarded, not forwarded, not forwarded again, and the forwarding itself. */
    record Timings(long[] on, long[] off, long[] control, long[] listener) { }

    /** 300 warm-up calls (forwarded), then {@code calls} rounds of on / off / control in rotating order. */
    static Timings measure(InferenceSession session, Switch sw, List<String> sentences, int calls) {
        sw.on = true;
        for (int i = 0; i < 300; i++) {
            session.embed(List.of(sentences.get(i % sentences.size())));
        }
        Timings t = new Timings(new long[calls], new long[calls], new long[calls], new long[calls]);
        for (int i = 0; i < calls; i++) {
            String s = sentences.get(i % sentences.size());
            for (int k = 0; k < 3; k++) {
                switch ((i + k) % 3) {
                    case 0 -> {
                        sw.on = true;
                        t.on()[i] = time(session, s);
                        t.listener()[i] = sw.lastNanos;
                    }
                    case 1 -> {
                        sw.on = false;
                        t.off()[i] = time(session, s);
                    }
                    default -> {
                        sw.on = false;
                        t.control()[i] = time(session, s);
                    }
                }
            }
        }
        return t;
    }

    /** The latency table, the on/off ratio, the noise floor and the listener's own time; {@code what} names it. */
    static void print(Timings t, String what) {
        double p50Off = pct(t.off(), 50);
        double p50On = pct(t.on(), 50);
        System.out.printf(Locale.ROOT, "%-16s %9s %9s %9s%n", "", "p50 ms", "p90 ms", "p99 ms");
        row(what + " off", t.off());
        row(what + " on", t.on());
        row("control (off)", t.control());
        System.out.printf(Locale.ROOT, "p50 on/off %.4f (%+.2f%%), median paired difference %+.3f ms%n",
                p50On / p50Off, 100 * (p50On / p50Off - 1), pct(diff(t.on(), t.off()), 50) / 1e6);
        System.out.printf(Locale.ROOT, "noise floor: p50 control/off %.4f (%+.2f%%), median paired difference %+.3f ms%n",
                pct(t.control(), 50) / p50Off, 100 * (pct(t.control(), 50) / p50Off - 1),
                pct(diff(t.control(), t.off()), 50) / 1e6);
        System.out.printf(Locale.ROOT, "listener call on the caller's thread: p50 %.2f us, p99 %.2f us, max %.2f us "
                + "(%.4f%% of p50 off)%n", pct(t.listener(), 50) / 1e3, pct(t.listener(), 99) / 1e3,
                pct(t.listener(), 100) / 1e3, 100 * pct(t.listener(), 50) / p50Off);
    }

    private static void row(String name, long[] t) {
        System.out.printf(Locale.ROOT, "%-16s %9.3f %9.3f %9.3f%n", name, pct(t, 50) / 1e6, pct(t, 90) / 1e6, pct(t, 99) / 1e6);
    }

    private static long[] diff(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static long time(InferenceSession s, String text) {
        long t0 = System.nanoTime();
        s.embed(List.of(text));
        return System.nanoTime() - t0;
    }

    static double pct(long[] values, double p) {
        long[] v = values.clone();
        Arrays.sort(v);
        int idx = (int) Math.min(v.length - 1, Math.max(0, Math.ceil(p / 100 * v.length) - 1));
        return v[idx];
    }
}
