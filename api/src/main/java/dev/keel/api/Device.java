package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.Locale;
import org.apiguardian.api.API;

/**
 * Where tensors live: the CPU, or one GPU by index.
 *
 * @param kind  cpu or gpu
 * @param index the GPU ordinal; 0 for the CPU
 */
@API(status = STABLE, since = "0.1")
public record Device(Kind kind, int index) {
    public enum Kind { CPU, GPU }

    public Device {
        if (kind == null) {
            throw new InvalidInputException("device kind is null; use Device.cpu() or Device.gpu(n)");
        }
        if (index < 0) {
            throw new InvalidInputException("device index " + index + " is negative; use gpu:0, gpu:1, ...");
        }
    }

    public static Device cpu() {
        return new Device(Kind.CPU, 0);
    }

    public static Device gpu(int index) {
        return new Device(Kind.GPU, index);
    }

    /**
     * Parses {@code cpu}, {@code gpu} or {@code gpu:N}, as the command line writes devices.
     *
     * @throws InvalidInputException for any other text
     */
    public static Device parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return cpu();
        }
        if (t.equals("gpu") || t.equals("cuda")) {
            return gpu(0);
        }
        if (t.startsWith("gpu:") || t.startsWith("cuda:")) {
            try {
                return gpu(Integer.parseInt(t.substring(t.indexOf(':') + 1)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new InvalidInputException("unknown device '" + text + "'; expected cpu, gpu or gpu:N");
    }

    public boolean isGpu() {
        return kind == Kind.GPU;
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "gpu:" + index;
    }
}
