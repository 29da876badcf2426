package dev.keel.spark.train;

import dev.keel.api.KeelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.apache.spark.BarrierTaskContext;

/**
 * Averages float parameters over the tasks of a barrier stage with {@link BarrierTaskContext#allGather}: every
 * task sends its values, receives everyone's in task order, and sums them in that order, so all tasks end with
 * bit-identical averages. {@code allGather} carries strings through the driver, so values travel as base64 of
 * little-endian floats, in rounds of at most {@link #chunkFloats} floats: each task then receives
 * {@code workers} such chunks per round, which keeps every message far below Spark's RPC limit
 * ({@code spark.rpc.message.maxSize}, 128 MiB) whatever the model's size.
 */
final class BarrierAverage {
    /** Floats a round carries from all workers together (about 85 MB of base64 in each task's reply). */
    private static final int ROUND_FLOATS = 16 << 20;

    private BarrierAverage() { }

    /** Floats one worker sends in a round. */
    static int chunkFloats(int workers) {
        return Math.max(1024, Math.min(2 << 20, ROUND_FLOATS / Math.max(1, workers)));
    }

    /** Replaces {@code parameters} (changed in place) by their mean over all tasks; returns the rounds it took. */
    static int average(BarrierTaskContext ctx, List<float[]> parameters) {
        return average(ctx, parameters, chunkFloats(ctx.getTaskInfos().length));
    }

    /** {@link #average} in rounds of {@code chunk} floats per worker. */
    static int average(BarrierTaskContext ctx, List<float[]> parameters, int chunk) {
        long total = 0;
        for (float[] p : parameters) {
            total += p.length;
        }
        int workers = ctx.getTaskInfos().length;
        int rounds = 0;
        for (long start = 0; start < total || rounds == 0; start += chunk) {
            int n = (int) Math.min(chunk, total - start);
            float[] mine = new float[n];
            copy(parameters, start, mine, true);
            String[] all = ctx.allGather(encode(mine));
            if (all.length != workers) {
                throw new KeelException("a parameter average received " + all.length + " parts from " + workers
                        + " workers");
            }
            double[] sum = new double[n];
            for (String part : all) {
                float[] v = decode(part);
                if (v.length != n) {
                    throw new KeelException("workers hold parameters of different sizes (" + v.length + " and " + n
                            + " floats in one round); every worker must train the same model");
                }
                for (int j = 0; j < n; j++) {
                    sum[j] += v[j];
                }
            }
            for (int j = 0; j < n; j++) {
                mine[j] = (float) (sum[j] / all.length);
            }
            copy(parameters, start, mine, false);
            rounds++;
        }
        return rounds;
    }

    /** Copies the flat range starting at {@code start} between the arrays and {@code flat}, either way. */
    private static void copy(List<float[]> parameters, long start, float[] flat, boolean toFlat) {
        long offset = 0;
        int done = 0;
        for (float[] p : parameters) {
            long end = offset + p.length;
            if (end > start && done < flat.length) {
                int from = (int) Math.max(0, start + done - offset);
                int n = Math.min(p.length - from, flat.length - done);
                if (toFlat) {
                    System.arraycopy(p, from, flat, done, n);
                } else {
                    System.arraycopy(flat, done, p, from, n);
                }
                done += n;
            }
            offset = end;
        }
    }

    static String encode(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(b.array());
    }

    static float[] decode(String s) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
