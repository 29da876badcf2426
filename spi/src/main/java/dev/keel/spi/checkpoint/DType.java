package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import org.apiguardian.api.API;

/** Element types as safetensors names them. */
@API(status = EXPERIMENTAL, since = "0.1")
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public static DType parse(String name, String tensor) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new CheckpointException("tensor '" + tensor + "' has dtype " + name
                    + ", which Keel does not read; expected one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL");
        }
    }
}
