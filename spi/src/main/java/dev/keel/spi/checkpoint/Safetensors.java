package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping
 * names to {@code dtype}, {@code shape} and {@code data_offsets}, then the raw data. Reads are memory-mapped
 * and validated (header bounds, offsets inside the file, sizes that match shapes); writes are atomic.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Safetensors {
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() { }

    /** A read file: its tensors in header order and its {@code __metadata__}. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new CheckpointException("the checkpoint has no tensor '" + name + "'; it has "
                        + (tensors.size() > 12 ? tensors.size() + " others" : tensors.keySet().toString())
                        + "; was it written for another model family or size?");
            }
            return t;
        }
    }

    public static Contents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(file, "it is " + size + " bytes long, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw corrupt(file, "its header length " + headerLen + " does not fit a file of " + size + " bytes");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            byte[] headerBytes = new byte[(int) headerLen];
            map.get(8, headerBytes);
            Map<String, Object> header;
            try {
                header = Json.parseObject(new String(headerBytes, StandardCharsets.UTF_8), "the header of " + file);
            } catch (CheckpointException e) {
                throw corrupt(file, "its header is not valid JSON");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            for (Map.Entry<String, Object> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) {
                        m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                    }
                    continue;
                }
                if (!(e.getValue() instanceof Map<?, ?> info)) {
                    throw corrupt(file, "tensor '" + e.getKey() + "' has no dtype/shape/offsets entry");
                }
                DType dtype = DType.parse(String.valueOf(info.get("dtype")), e.getKey());
                long[] shape = longs(info.get("shape"), file, e.getKey(), "shape");
                long[] offsets = longs(info.get("data_offsets"), file, e.getKey(), "data_offsets");
                if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLen) {
                    throw corrupt(file, "tensor '" + e.getKey() + "' has offsets outside the data ("
                            + dataLen + " bytes); the file is probably truncated");
                }
                long need = Tensor.elementCount(shape) * dtype.bytes();
                if (offsets[1] - offsets[0] != need) {
                    throw corrupt(file, "tensor '" + e.getKey() + "' spans " + (offsets[1] - offsets[0])
                            + " bytes but its shape needs " + need);
                }
                ranges.add(offsets);
                ByteBuffer slice = map.slice((int) (dataStart + offsets[0]), (int) need);
                tensors.put(e.getKey(), new Tensor(e.getKey(), dtype, shape, slice));
            }
            ranges.sort(Comparator.comparingLong(r -> r[0]));
            for (int i = 1; i < ranges.size(); i++) {
                if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                    throw corrupt(file, "two tensors overlap in the data section");
                }
            }
            return new Contents(tensors, metadata);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + " does not exist; is this a Keel model folder?", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes tensors (in the given order) and metadata atomically. */
    public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long len = t.data().remaining();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.dtype().name());
            info.put("shape", t.shape());
            info.put("data_offsets", new long[] {offset, offset + len});
            if (header.put(t.name(), info) != null) {
                throw new InvalidInputException("two tensors are named " + t.name() + "; a safetensors file holds "
                        + "each name once");
            }
            offset += len;
        }
        byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, ch -> {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            for (Tensor t : tensors) {
                ByteBuffer d = t.data().duplicate();
                while (d.hasRemaining()) {
                    ch.write(d);
                }
            }
        });
    }

    private static long[] longs(Object value, Path file, String tensor, String field) {
        if (!(value instanceof List<?> list)) {
            throw corrupt(file, "tensor '" + tensor + "' has no " + field + " list");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n) || n.longValue() < 0) {
                throw corrupt(file, "tensor '" + tensor + "' has a bad " + field + " entry " + list.get(i));
            }
            out[i] = n.longValue();
        }
        return out;
    }

    private static CheckpointException corrupt(Path file, String why) {
        return new CheckpointException(file + " is not a valid safetensors file: " + why
                + "; re-save the model or restore the file from a backup");
    }

}
