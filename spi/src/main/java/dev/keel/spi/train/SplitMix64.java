package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/**
 * A tiny random generator (Steele, Lea and Flood's SplitMix64) whose whole state is one {@code long}, so a
 * checkpoint can store the data position and a resumed run draws exactly the batches the uninterrupted run would
 * have drawn, on any engine.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class SplitMix64 {
    private long state;

    public SplitMix64(long state) {
        this.state = state;
    }

    public long state() {
        return state;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in {@code [0, bound)}. */
    public int nextInt(int bound) {
        return (int) Math.floorMod(nextLong(), (long) bound);
    }

}
