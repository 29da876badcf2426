package dev.keel.spark;

import java.util.List;
import org.apache.spark.sql.Row;
import scala.collection.Seq;
import scala.collection.immutable.ArraySeq$;

/** Conversions between Java arrays and the external types Spark rows hold for {@code array<...>} columns. */
public final class SparkValues {
    private SparkValues() { }

    /** A float vector as an {@code array<float>} cell: wrapped, not copied (rows take Scala sequences). */
    public static Seq<Object> floats(float[] v) {
        return ArraySeq$.MODULE$.unsafeWrapArray(v);
    }

    /** A double vector as an {@code array<double>} cell. */
    public static Seq<Object> doubles(double[] v) {
        return ArraySeq$.MODULE$.unsafeWrapArray(v);
    }

    /** An {@code array<float>} cell as a float vector. */
    public static float[] floats(Row row, int column) {
        List<Float> list = row.getList(column);
        float[] v = new float[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = list.get(i);
        }
        return v;
    }

    /** An {@code array<double>} cell as a double vector. */
    public static double[] doubles(Row row, int column) {
        List<Double> list = row.getList(column);
        double[] v = new double[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = list.get(i);
        }
        return v;
    }
}
