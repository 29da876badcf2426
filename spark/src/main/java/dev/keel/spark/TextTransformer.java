package dev.keel.spark;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.InferenceSession;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML-style transformer over a string column: {@link #transform} appends the model's outputs as new
 * columns and keeps every input column. Each partition is read in batches of {@link #batchRows} rows
 * (iterator in, iterator out), so memory stays flat however large a partition grows; the model comes from
 * the executor's {@link ExecutorModels} cache. Null texts give null outputs.
 *
 * <p>Configuration errors (a missing column, a column that is not a string, an output column that already
 * exists, a model folder the driver sees to be wrong) are raised by {@link #transformSchema} on the driver,
 * before a task runs; a model folder unreadable on an executor fails that executor's first task with a
 * message naming the folder and the executor.
 *
 * @param <T> the concrete transformer, so setters chain
 */
public abstract class TextTransformer<T extends TextTransformer<T>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ModelSpec model;
    private String inputCol = "text";
    private int batchRows = 256;

    protected TextTransformer(ModelSpec model) {
        if (model == null) {
            throw new InvalidInputException("model spec is null; use ModelSpec.of(\"builtin:all-minilm-l6-v2\") or a folder");
        }
        this.model = model;
    }

    @SuppressWarnings("unchecked")
    protected final T self() {
        return (T) this;
    }

    /** The string column to read (default {@code text}). */
    public T setInputCol(String name) {
        inputCol = name;
        return self();
    }

    /** Rows handed to the model at once per task (default 256); the engine batches within them. */
    public T setBatchRows(int n) {
        if (n <= 0) {
            throw new InvalidInputException("batch rows must be positive, got " + n);
        }
        batchRows = n;
        return self();
    }

    public String inputCol() {
        return inputCol;
    }

    public int batchRows() {
        return batchRows;
    }

    public ModelSpec model() {
        return model;
    }

    /** The columns this transformer appends, in order. */
    protected abstract List<StructField> outputFields();

    /**
     * Runs the model on a batch of non-null texts; one array of output values per text, in
     * {@link #outputFields} order.
     */
    protected abstract List<Object[]> apply(InferenceSession session, List<String> texts);

    /** The input schema with the output columns appended; fails naming a missing or mistyped column. */
    public StructType transformSchema(StructType schema) {
        TextColumns.requireString(schema, inputCol, "text");
        StructType out = schema;
        for (StructField f : outputFields()) {
            if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
                throw new InvalidInputException("the output column '" + f.name() + "' already exists in "
                        + Arrays.toString(schema.fieldNames()) + "; rename or drop it, or choose another output name");
            }
            out = out.add(f);
        }
        return out;
    }

    /** Appends the model's outputs to every row; lazy, like every Spark transformation. */
    public Dataset<Row> transform(Dataset<?> input) {
        StructType out = transformSchema(input.schema());
        model.checkOnDriver();
        int column = input.schema().fieldIndex(inputCol);
        TextTransformer<T> job = this;
        MapPartitionsFunction<Row, Row> f = rows -> new Batches(rows, column, job);
        return input.toDF().mapPartitions(f, Encoders.row(out));
    }

    /** Pulls {@code batchRows} rows, runs the model once, hands the rows out, and only then reads on. */
    private static final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final int column;
        private final TextTransformer<?> job;
        private final Deque<Row> ready = new ArrayDeque<>();
        private InferenceSession session;

        Batches(Iterator<Row> rows, int column, TextTransformer<?> job) {
            this.rows = rows;
            this.column = column;
            this.job = job;
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && rows.hasNext()) {
                fill();
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void fill() {
            List<Row> batch = new ArrayList<>(job.batchRows);
            while (batch.size() < job.batchRows && rows.hasNext()) {
                batch.add(rows.next());
            }
            List<String> texts = new ArrayList<>(batch.size());
            for (Row r : batch) {
                if (!r.isNullAt(column)) {
                    texts.add(r.getString(column));
                }
            }
            List<Object[]> outputs = List.of();
            if (!texts.isEmpty()) {
                if (session == null) {
                    session = ExecutorModels.session(job.model);
                }
                outputs = job.apply(session, texts);
            }
            int width = job.outputFields().size();
            int k = 0;
            for (Row r : batch) {
                Object[] values = new Object[r.length() + width];
                for (int i = 0; i < r.length(); i++) {
                    values[i] = r.get(i);
                }
                if (!r.isNullAt(column)) {
                    System.arraycopy(outputs.get(k++), 0, values, r.length(), width);
                }
                ready.add(RowFactory.create(values));
            }
        }
    }

    static StructField field(String name, org.apache.spark.sql.types.DataType type) {
        return DataTypes.createStructField(name, type, true);
    }
}
