package dev.keel.spark.train;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The framed messages between a barrier task and its training worker JVM ({@link WorkerProcess}). Each message
 * is a type byte and its body; parameters travel as a count and, per array, a length and raw little-endian
 * floats.
 *
 * <pre>
 * worker -> task   SYNC     int step, int totalSteps, arrays       answered by arrays (the average)
 * worker -> task   STOP     boolean local decision                 answered by boolean (the run's decision)
 * worker -> task   PROGRESS utf line for the executor's log
 * worker -> task   DONE     utf JSON of the result; the adapted folder is written
 * worker -> task   FAILED   utf exception kind, utf message
 * </pre>
 */
final class WorkerMessages {
    static final int SYNC = 1;
    static final int STOP = 2;
    static final int PROGRESS = 3;
    static final int DONE = 4;
    static final int FAILED = 5;

    private WorkerMessages() { }

    static void writeArrays(DataOutputStream out, List<float[]> arrays) throws IOException {
        out.writeInt(arrays.size());
        for (float[] a : arrays) {
            out.writeInt(a.length);
            ByteBuffer b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(a);
            out.write(b.array());
        }
    }

    static List<float[]> readArrays(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<float[]> arrays = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] bytes = new byte[4 * in.readInt()];
            in.readFully(bytes);
            float[] a = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
            arrays.add(a);
        }
        return arrays;
    }

    /** The kind a FAILED message names, so the task rethrows the worker's error as the same Keel type. */
    static String kind(Throwable t) {
        return t instanceof KeelException ? t.getClass().getSimpleName() : "KeelException";
    }

    static KeelException rethrown(String kind, String message) {
        return switch (kind) {
            case "InvalidInputException" -> new InvalidInputException(message);
            case "CheckpointException" -> new CheckpointException(message);
            case "UnsupportedCapabilityException" -> new UnsupportedCapabilityException(message);
            default -> new KeelException(message);
        };
    }
}
