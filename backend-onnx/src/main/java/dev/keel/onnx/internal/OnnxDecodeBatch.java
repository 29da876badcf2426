package dev.keel.onnx.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.infer.DecodeBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Continuous batching on ONNX Runtime with the caches in memory this batch owns. A step is one run of the gpt2
 * graph on {@code [batch, 1]} tokens after the batch's right-aligned caches ({@code [batch, heads, capacity,
 * head_size]} per layer, the first {@code length} columns in use, each row's padding in the graph's
 * {@code left_padding} input, {@link Gpt2Graph}).
 *
 * <p>Graphs of export format 5 (with {@code cache_length}) read the cache in place: the run gets the whole
 * buffer as its past with the used length, and outputs only the step's new key/value column
 * ({@code [batch, heads, 1, head_size]} per layer), which this batch writes into column {@code length}; the
 * capacity keeps a quarter of the length (at least 8 columns) free, so the buffer is re-laid out only every
 * quarter length of steps. Why: outputting the whole present cache each step made copying, not arithmetic, the
 * step (about 4 MB for 16 rows of the 0.8M-parameter benchmark model).
 *
 * <p>Older graphs (format 4) output the whole present cache: the run reads the past from one set of direct
 * buffers and writes the present into the other (ONNX Runtime's pinned outputs), and the two swap (capacity
 * equals length there). Either way a step copies no cache through Java, and the row changes
 * that continuous batching makes all the time touch one row: a sequence joins by writing its own cache (its
 * prompt read alone) into a new row, slides its window by rewriting its row, and leaves by moving the last
 * row into its place.
 *
 * <p>Why not keep the caches as the runs' own output tensors (as before): those are immutable, so every join,
 * leave and slide copied the whole batch's caches through Java several times, which on a small model cost
 * several steps each. Padding columns are no longer cut when the longest sequence leaves; they are cut (one
 * copy of the batch) only when the cache reaches one and a quarter contexts, since masked columns cost little
 * (every sequence holds less than a context, so a cut removes at least a quarter context, at most once every
 * quarter context of steps). Memory: the two buffer sets hold up to 2.5 times the batch's caches at full context.
 * Masked columns may hold stale finite values: attention gives them a weight of exactly zero.
 */
final class OnnxDecodeBatch implements DecodeBatch {
    private final OrtSession session;
    private final Gpt2Config config;
    private final Reader reader;
    private final int heads;
    private final int headSize;
    private final int tensors;
    private final int context;
    /** Columns the cache may reach before its padding is cut. */
    private final int maxLength;
    /** Whether the graph outputs only the new column ({@code cache_length}, format 5) rather than the whole cache. */
    private final boolean inPlace;
    private final List<Object> keys = new ArrayList<>();
    private final Map<Object, Integer> rowOf = new HashMap<>();
    private int[] padding = new int[0];
    private int length;
    /** Columns per row and head in the buffers ({@code >= length}; equal to it for older graphs). */
    private int capacity;
    /** Every layer's keys then values, {@code [rows, heads, capacity, head_size]} from index 0 of each buffer. */
    private FloatBuffer[] cache;
    /** Where a re-layout (and an older graph's step) writes, swapped with {@link #cache} afterwards. */
    private FloatBuffer[] spare;
    /** A format-5 step's tensors over the buffers above, kept from step to step while they stay valid. */
    private Bound bound;

    /** {@code inPlace}: write steps in place when the graph has {@code cache_length} (false: as older graphs). */
    OnnxDecodeBatch(OrtSession session, Gpt2Config config, String location, Reader reader, boolean inPlace) {
        if (!session.getInputNames().contains(Gpt2Graph.LEFT_PADDING)) {
            throw new UnsupportedCapabilityException("the ONNX graph of " + location + " has no "
                    + Gpt2Graph.LEFT_PADDING + " input (an export of an older Keel), so it cannot decode "
                    + "sequences together; export the folder again (keel export --backend onnx) or delete its "
                    + OnnxModel.GRAPH + " so a fresh export is served");
        }
        this.session = session;
        this.config = config;
        this.reader = reader;
        this.heads = config.nHead();
        this.headSize = config.headSize();
        this.tensors = 2 * config.nLayer();
        this.context = config.nPositions();
        this.maxLength = context + Math.max(1, context / 4);
        this.inPlace = inPlace && session.getInputNames().contains(Gpt2Graph.CACHE_LENGTH);
        this.cache = new FloatBuffer[tensors];
        this.spare = new FloatBuffer[tensors];
    }

    @Override
    public int context() {
        return context;
    }

    @Override
    public int size() {
        return keys.size();
    }

    @Override
    public boolean readsAhead() {
        return true;
    }

    /** Reads the tokens alone (the session's own forward pass, safe beside a step): all a join computes. */
    @Override
    public DecodeBatch.Read read(int[] tokens) {
        return new ReadAhead(this, tokens.clone(), alone(tokens));
    }

    private record ReadAhead(OnnxDecodeBatch batch, int[] tokens, Alone alone) implements DecodeBatch.Read { }

    /** The cache of a read of this batch, or null when {@code read} must be read here. */
    private Alone readOf(DecodeBatch.Read read) {
        return read instanceof ReadAhead r && r.batch == this ? r.alone : null;
    }

    @Override
    public float[] add(Object key, DecodeBatch.Read read) {
        Alone alone = readOf(read);
        return alone == null ? add(key, read.tokens()) : add(key, alone);
    }

    @Override
    public float[] add(Object key, int[] tokens) {
        return add(key, alone(tokens));
    }

    private float[] add(Object key, Alone alone) {
        if (rowOf.containsKey(key)) {
            throw new IllegalStateException("sequence " + key + " is already in the batch; remove it first");
        }
        int row = keys.size();
        fit(alone.length);
        cache = ensure(cache, floats(row + 1, capacity), floats(row, capacity));
        padding = Arrays.copyOf(padding, row + 1);
        rowOf.put(key, row);
        keys.add(key);
        write(row, alone);
        return alone.logits;
    }

    @Override
    public float[] reread(Object key, int[] tokens) {
        Integer row = rowOf.get(key);
        if (row == null) {
            return add(key, tokens);
        }
        Alone alone = alone(tokens);
        fit(alone.length);
        write(row, alone);
        return alone.logits;
    }

    @Override
    public void remove(Object key) {
        Integer row = rowOf.remove(key);
        if (row == null) {
            return;
        }
        int last = keys.size() - 1;
        if (row != last) {
            int n = floats(1, capacity);
            for (FloatBuffer b : cache) {
                b.put(row * n, b.duplicate(), last * n, n);
            }
            padding[row] = padding[last];
            Object moved = keys.get(last);
            keys.set(row, moved);
            rowOf.put(moved, row);
        }
        keys.remove(last);
        padding = Arrays.copyOf(padding, last);
        if (keys.isEmpty()) {
            length = 0;
        }
    }

    @Override
    public float[][] step(List<?> order, int[] tokens) {
        int rows = keys.size();
        if (order.size() != rows || tokens.length != rows) {
            throw new IllegalStateException("a step advances all " + rows + " sequences of the batch; got "
                    + order.size() + " keys and " + tokens.length + " tokens");
        }
        if (rows == 0) {
            return new float[0][];
        }
        long[] ids = new long[rows];
        int[] rowAt = new int[rows];
        boolean[] seen = new boolean[rows];
        for (int i = 0; i < rows; i++) {
            Integer row = rowOf.get(order.get(i));
            if (row == null || seen[row]) {
                throw new IllegalStateException("sequence " + order.get(i) + " is not in the batch, or named twice");
            }
            seen[row] = true;
            rowAt[i] = row;
            ids[row] = checked(tokens[i]);
        }
        int minPadding = Integer.MAX_VALUE;
        for (int r = 0; r < rows; r++) {
            if (length - padding[r] >= context) {
                throw new InvalidInputException("sequence " + keys.get(r) + " holds " + (length - padding[r])
                        + " tokens, the model's whole context; remove it and add its newer tokens again");
            }
            minPadding = Math.min(minPadding, padding[r]);
        }
        if (length + 1 > maxLength) {
            relayout(length - minPadding);
        }
        if (inPlace && length == capacity) {
            relayout(length);
        }
        if (inPlace) {
            try {
                float[][] byRow = stepInPlace(ids, rows);
                length++;
                return inOrder(byRow, rowAt);
            } catch (OrtException e) {
                throw new KeelException("ONNX Runtime failed while decoding a batch: " + e.getMessage(), e);
            }
        }
        long[] pad = new long[rows];
        for (int r = 0; r < rows; r++) {
            pad[r] = padding[r];
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(Gpt2Graph.INPUT_IDS, own(owned, OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(ids),
                    new long[] {rows, 1})));
            inputs.put(Gpt2Graph.LEFT_PADDING, own(owned, OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(pad),
                    new long[] {rows})));
            long[] pastShape = {rows, heads, capacity, headSize};
            for (int i = 0; i < tensors; i++) {
                inputs.put(pastName(i), own(owned, OnnxTensor.createTensor(Ort.env(),
                        view(cache[i], floats(rows, capacity)), pastShape)));
            }
            float[][] byRow = stepSwapping(inputs, owned, rows);
            length++;
            return inOrder(byRow, rowAt);
        } catch (OrtException e) {
            throw new KeelException("ONNX Runtime failed while decoding a batch: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private static float[][] inOrder(float[][] byRow, int[] rowAt) {
        float[][] logits = new float[byRow.length][];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = byRow[rowAt[i]];
        }
        return logits;
    }

    /**
     * Runs a format-5 step and writes each row's new column at {@link #length} of its own buffer. The run's
     * tensors stay bound to direct buffers from step to step (rebuilt only when rows, capacity or buffers
     * change): on a small model, creating and closing two dozen tensors a step cost as much as the run of one row.
     */
    private float[][] stepInPlace(long[] ids, int rows) throws OrtException {
        Bound b = bound(rows);
        b.ids.put(0, ids);
        for (int r = 0; r < rows; r++) {
            b.padding.put(r, padding[r]);
        }
        b.length.put(0, length);
        session.run(b.inputs, b.outputs).close();
        for (int i = 0; i < tensors; i++) {
            FloatBuffer column = b.columns[i];
            for (int rh = 0; rh < rows * heads; rh++) {
                cache[i].put((rh * capacity + length) * headSize, column, rh * headSize, headSize);
            }
        }
        float[][] logits = new float[rows][config.vocabSize()];
        for (int r = 0; r < rows; r++) {
            b.logits.get(r * config.vocabSize(), logits[r]);
        }
        return logits;
    }

    /** The run's inputs and pinned outputs over this batch's buffers, valid while rows, capacity and buffers stay. */
    private record Bound(int rows, int capacity, FloatBuffer first, Map<String, OnnxTensor> inputs,
            Map<String, OnnxTensor> outputs, LongBuffer ids, LongBuffer padding, LongBuffer length,
            FloatBuffer[] columns, FloatBuffer logits) implements AutoCloseable {
        @Override
        public void close() {
            inputs.values().forEach(OnnxTensor::close);
            outputs.values().forEach(OnnxTensor::close);
        }
    }

    private Bound bound(int rows) throws OrtException {
        if (bound != null && bound.rows == rows && bound.capacity == capacity && bound.first == cache[0]) {
            return bound;
        }
        unbind();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        Map<String, OnnxTensor> outputs = new HashMap<>();
        LongBuffer ids = longs(rows);
        LongBuffer pad = longs(rows);
        LongBuffer len = longs(1);
        FloatBuffer[] columns = new FloatBuffer[tensors];
        FloatBuffer logits = direct(Math.multiplyExact(rows, config.vocabSize()));
        bound = new Bound(rows, capacity, cache[0], inputs, outputs, ids, pad, len, columns, logits);
        inputs.put(Gpt2Graph.INPUT_IDS, OnnxTensor.createTensor(Ort.env(), ids, new long[] {rows, 1}));
        inputs.put(Gpt2Graph.LEFT_PADDING, OnnxTensor.createTensor(Ort.env(), pad, new long[] {rows}));
        inputs.put(Gpt2Graph.CACHE_LENGTH, OnnxTensor.createTensor(Ort.env(), len, new long[] {1}));
        outputs.put(Gpt2Graph.LOGITS, OnnxTensor.createTensor(Ort.env(), logits,
                new long[] {rows, 1, config.vocabSize()}));
        long[] pastShape = {rows, heads, capacity, headSize};
        long[] columnShape = {rows, heads, 1, headSize};
        for (int i = 0; i < tensors; i++) {
            inputs.put(pastName(i), OnnxTensor.createTensor(Ort.env(), view(cache[i], floats(rows, capacity)),
                    pastShape));
            columns[i] = direct(floats(rows, 1));
            outputs.put(presentName(i), OnnxTensor.createTensor(Ort.env(), columns[i], columnShape));
        }
        return bound;
    }

    private void unbind() {
        if (bound != null) {
            bound.close();
            bound = null;
        }
    }

    private static LongBuffer longs(int n) {
        return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** Runs an older graph's step: the whole present cache into the spare buffers, which become the cache. */
    private float[][] stepSwapping(Map<String, OnnxTensor> inputs, List<OnnxTensor> owned, int rows)
            throws OrtException {
        spare = ensure(spare, floats(rows, length + 1), 0);
        if (session.getInputNames().contains(Gpt2Graph.CACHE_LENGTH)) { // a format-5 graph used the older way
            inputs.put(Gpt2Graph.CACHE_LENGTH, own(owned, OnnxTensor.createTensor(Ort.env(),
                    LongBuffer.wrap(new long[] {-1}), new long[] {1})));
        }
        Map<String, OnnxTensor> present = new HashMap<>();
        long[] presentShape = {rows, heads, length + 1, headSize};
        for (int i = 0; i < tensors; i++) {
            present.put(presentName(i), own(owned, OnnxTensor.createTensor(Ort.env(),
                    view(spare[i], floats(rows, length + 1)), presentShape)));
        }
        float[][] byRow;
        try (OrtSession.Result result = session.run(inputs, Set.of(Gpt2Graph.LOGITS), present)) {
            byRow = logits((OnnxTensor) result.get(Gpt2Graph.LOGITS).orElseThrow(), rows);
        }
        FloatBuffer[] swap = cache;
        cache = spare;
        spare = swap;
        capacity = length + 1;
        return byRow;
    }

    @Override
    public void close() {
        unbind();
        keys.clear();
        rowOf.clear();
        padding = new int[0];
        length = 0;
        capacity = 0;
        cache = new FloatBuffer[tensors];
        spare = new FloatBuffer[tensors];
    }

    /**
     * A sequence's tokens read alone: its next-token logits and its cache, {@code [heads, length, head_size]} per
     * tensor (every layer's key then value).
     */
    record Alone(float[] logits, float[][] cache, int length) { }

    /** Reads one sequence on an empty cache (the session's own forward pass). */
    interface Reader {
        Alone read(int[] tokens);
    }

    private Alone alone(int[] tokens) {
        if (tokens == null || tokens.length == 0 || tokens.length > context) {
            throw new InvalidInputException("a sequence joins with 1 to " + context + " tokens, got "
                    + (tokens == null ? 0 : tokens.length));
        }
        return reader.read(tokens);
    }

    /** Widens the cache when a sequence of {@code columns} tokens would not fit (the first one sets the length). */
    private void fit(int columns) {
        if (keys.isEmpty()) {
            length = columns;
            capacity = capacityFor(columns);
        } else if (columns > length) {
            relayout(columns);
        }
    }

    /** Writes a sequence's own cache into {@code row}, right-aligned. */
    private void write(int row, Alone alone) {
        int p = alone.length;
        for (int i = 0; i < tensors; i++) {
            for (int h = 0; h < heads; h++) {
                cache[i].put(((row * heads + h) * capacity + (length - p)) * headSize, alone.cache[i],
                        h * p * headSize, p * headSize);
            }
        }
        padding[row] = length - p;
    }

    /** Every row right-aligned in {@code newLength} columns (padding added on the left, or cut), with room after. */
    private void relayout(int newLength) {
        int rows = keys.size();
        int kept = Math.min(length, newLength);
        int newCapacity = capacityFor(newLength);
        spare = ensure(spare, floats(rows, newCapacity), 0);
        for (int i = 0; i < tensors; i++) {
            FloatBuffer from = cache[i].duplicate();
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    spare[i].put(((r * heads + h) * newCapacity + (newLength - kept)) * headSize, from,
                            ((r * heads + h) * capacity + (length - kept)) * headSize, kept * headSize);
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            padding[r] = Math.max(0, padding[r] + newLength - length);
        }
        FloatBuffer[] swap = cache;
        cache = spare;
        spare = swap;
        length = newLength;
        capacity = newCapacity;
    }

    /** Columns to lay out for {@code columns} in use: a quarter more (at least 8) when steps write in place. */
    private int capacityFor(int columns) {
        return inPlace ? columns + Math.max(8, columns / 4) : columns;
    }

    private int floats(int rows, int columns) {
        return Math.multiplyExact(Math.multiplyExact(rows, heads), Math.multiplyExact(columns, headSize));
    }

    /** Buffers of at least {@code floats} floats, keeping the first {@code keep} floats of each (grown by half). */
    private static FloatBuffer[] ensure(FloatBuffer[] buffers, int floats, int keep) {
        for (int i = 0; i < buffers.length; i++) {
            FloatBuffer b = buffers[i];
            if (b == null || b.capacity() < floats) {
                int capacity = b == null ? floats : Math.max(floats, b.capacity() + b.capacity() / 2);
                FloatBuffer grown = direct(capacity);
                if (b != null && keep > 0) {
                    grown.put(0, b.duplicate(), 0, keep);
                }
                buffers[i] = grown;
            }
        }
        return buffers;
    }

    /** The first {@code floats} floats of a direct buffer, as a buffer ONNX Runtime reads and writes in place. */
    private static FloatBuffer view(FloatBuffer buffer, int floats) {
        return buffer.duplicate().position(0).limit(floats).slice();
    }

    private float[][] logits(OnnxTensor tensor, int rows) {
        FloatBuffer all = tensor.getFloatBuffer();
        float[][] logits = new float[rows][config.vocabSize()];
        for (float[] row : logits) {
            all.get(row);
        }
        return logits;
    }

    private long checked(int id) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new InvalidInputException("token " + id + " is outside the vocabulary [0, " + config.vocabSize()
                    + "); encode the input with this model's tokenizer");
        }
        return id;
    }

    private String pastName(int tensor) {
        return tensor % 2 == 0 ? Gpt2Graph.pastKey(tensor / 2) : Gpt2Graph.pastValue(tensor / 2);
    }

    private String presentName(int tensor) {
        return tensor % 2 == 0 ? Gpt2Graph.presentKey(tensor / 2) : Gpt2Graph.presentValue(tensor / 2);
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor tensor) {
        owned.add(tensor);
        return tensor;
    }
}
