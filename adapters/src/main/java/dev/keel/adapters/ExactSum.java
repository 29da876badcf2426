package dev.keel.adapters;

import java.util.Arrays;

/**
 * A sum of doubles that does not depend on the order of its terms: Shewchuk's exact summation (the algorithm of
 * Python's {@code math.fsum}) keeps the running total as a few non-overlapping partial sums, and {@link #value}
 * rounds their exact total once, correctly. So a metric summed row by row on one machine and the same metric
 * summed per partition and merged in any tree on a cluster are the same double, bit for bit. It costs a few
 * additions a term.
 */
final class ExactSum implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** Non-overlapping partial sums, smallest magnitude first; {@code n} of them in use. */
    private double[] partials = new double[4];
    private int n;

    /** Adds a finite term (an infinite or NaN one makes the sum NaN). */
    void add(double x) {
        if (!Double.isFinite(x)) {
            partials = new double[] {Double.NaN};
            n = 1;
            return;
        }
        int i = 0;
        for (int j = 0; j < n; j++) {
            double y = partials[j];
            if (Math.abs(x) < Math.abs(y)) {
                double t = x;
                x = y;
                y = t;
            }
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0.0) {
                partials[i++] = lo;
            }
            x = hi;
        }
        if (i == partials.length) {
            partials = Arrays.copyOf(partials, 2 * i);
        }
        partials[i] = x;
        n = i + 1;
    }

    /** Adds every term of another sum (exactly: its partials are terms whose total is its exact value). */
    void add(ExactSum other) {
        for (int j = 0; j < other.n; j++) {
            add(other.partials[j]);
        }
    }

    /** The exact total rounded to the nearest double (ties to even), as {@code math.fsum} rounds it. */
    double value() {
        if (n == 0) {
            return 0.0;
        }
        int k = n;
        double hi = partials[--k];
        double lo = 0;
        while (k > 0) {
            double x = hi;
            double y = partials[--k];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) {
                break;
            }
        }
        // half-way cases: round the way the partials below decide
        if (k > 0 && (lo < 0 && partials[k - 1] < 0 || lo > 0 && partials[k - 1] > 0)) {
            double y = lo * 2;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr) {
                hi = x;
            }
        }
        return hi;
    }
}
