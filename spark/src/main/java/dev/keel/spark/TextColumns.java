package dev.keel.spark;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Schema checks that name the column, what it holds and the fix, before any task runs. */
public final class TextColumns {
    private TextColumns() { }

    /** Fails unless {@code name} is a string column of {@code schema}. */
    public static void requireString(StructType schema, String name, String role) {
        StructField f = require(schema, name, role);
        if (!f.dataType().equals(DataTypes.StringType)) {
            throw new InvalidInputException("the " + role + " column '" + name + "' holds " + f.dataType().simpleString()
                    + ", not string; cast it (col(\"" + name + "\").cast(\"string\")) or choose a string column");
        }
    }

    /** The field called {@code name}; fails listing the columns there are. */
    public static StructField require(StructType schema, String name, String role) {
        if (name == null || !Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new InvalidInputException("the " + role + " column '" + name + "' is not in the dataset; its columns "
                    + "are " + Arrays.toString(schema.fieldNames()) + "; set the column name (setInputCol) or rename "
                    + "the column");
        }
        return schema.apply(name);
    }
}
