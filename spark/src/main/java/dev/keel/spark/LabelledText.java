package dev.keel.spark;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.spi.data.LabelledFiles;
import dev.keel.spi.data.LabelledFiles.Format;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apiguardian.api.API;

/**
 * A labelled file in Keel's formats (TSV, CSV, JSONL or plain lines, as {@link LabelledFiles} reads them) read by
 * Spark: the lines come from Spark's text source and are parsed on the executors with {@link LabelledFiles}'s own
 * parser, so only small per-partition summaries reach the driver. The rows keep the file's order and carry
 * {@code text}, {@code label} (null when unlabelled) and {@code example} (the example's number in the file, from
 * 1, as the single-machine errors count them).
 *
 * <p>Reading takes cheap passes over the file before the returned rows are used: one counts each partition's
 * lines (and a CSV file's quotes, since a quoted field may run across a partition's end), one, only when a CSV
 * record does, fetches the lines that finish it, and one parses every line, so a bad line fails here, naming the
 * file and line as {@link LabelledFiles#read} does, before any model runs.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class LabelledText {
    public static final String TEXT = "text";
    public static final String LABEL = "label";
    public static final String EXAMPLE = "example";
    private static final StructType SCHEMA = new StructType().add(TEXT, DataTypes.StringType)
            .add(LABEL, DataTypes.StringType).add(EXAMPLE, DataTypes.LongType, false);

    private final Dataset<Row> rows;
    private final long count;
    private final long firstLabelled;
    private final long firstUnlabelled;

    private LabelledText(Dataset<Row> rows, long count, long firstLabelled, long firstUnlabelled) {
        this.rows = rows;
        this.count = count;
        this.firstLabelled = firstLabelled;
        this.firstUnlabelled = firstUnlabelled;
    }

    /** Reads {@code file} in as many partitions as Spark's text source splits it into. */
    public static LabelledText read(SparkSession spark, Path file) {
        return read(spark, file, 0);
    }

    /** Reads {@code file} in at least {@code minPartitions} partitions (0: Spark's default). */
    public static LabelledText read(SparkSession spark, Path file, int minPartitions) {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException("data file " + file + " is a folder; pass a TSV, CSV, JSONL or text file");
        }
        if (!Files.exists(file)) {
            throw new InvalidInputException("data file " + file + " does not exist");
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // a local (or mounted) path, as the checks above see it; Hadoop quotes it itself, so no URI encoding here
        String uri = "file://" + file.toAbsolutePath();
        JavaRDD<String> lines = minPartitions > 0 ? jsc.textFile(uri, minPartitions) : jsc.textFile(uri);
        try {
            Plan plan = Plan.of(file, lines);
            List<long[]> parts = lines.mapPartitionsWithIndex((p, it) -> {
                long[] s = {0, 0, 0}; // examples; first labelled and first unlabelled example of the partition, from 1
                for (Parser parser = new Parser(plan, p, it, 0); parser.hasNext(); ) {
                    LabelledExample e = parser.next().example();
                    s[0]++;
                    int slot = e.hasLabel() ? 1 : 2;
                    if (s[slot] == 0) {
                        s[slot] = s[0];
                    }
                }
                return List.of(s).iterator();
            }, true).collect();
            long[] offsets = new long[parts.size()];
            long total = 0;
            long firstLabelled = 0;
            long firstUnlabelled = 0;
            for (int p = 0; p < parts.size(); p++) {
                long[] s = parts.get(p);
                offsets[p] = total;
                firstLabelled = firstLabelled == 0 && s[1] > 0 ? total + s[1] : firstLabelled;
                firstUnlabelled = firstUnlabelled == 0 && s[2] > 0 ? total + s[2] : firstUnlabelled;
                total += s[0];
            }
            if (total == 0) {
                throw LabelledFiles.noExamples(file);
            }
            JavaRDD<Row> rows = lines.mapPartitionsWithIndex((p, it) -> {
                Parser parser = new Parser(plan, p, it, offsets[p]);
                return new Iterator<Row>() {
                    @Override
                    public boolean hasNext() {
                        return parser.hasNext();
                    }

                    @Override
                    public Row next() {
                        Numbered n = parser.next();
                        return RowFactory.create(n.example().text(), n.example().label(), n.number());
                    }
                };
            }, true);
            return new LabelledText(spark.createDataFrame(rows, SCHEMA), total, firstLabelled, firstUnlabelled);
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
    }

    /** The examples in file order: {@code text}, {@code label} (null when a line has none), {@code example}. */
    public Dataset<Row> rows() {
        return rows;
    }

    /** How many examples the file holds (at least one: an empty file is refused). */
    public long count() {
        return count;
    }

    /** The number (from 1) of the first example that carries a label, 0 when none does. */
    public long firstLabelled() {
        return firstLabelled;
    }

    /** The number (from 1) of the first example without a label, 0 when every one has one. */
    public long firstUnlabelled() {
        return firstUnlabelled;
    }

    /** An example with its number in the file. */
    private record Numbered(LabelledExample example, long number) { }

    /**
     * What every task needs to parse its partition as the whole file would be parsed: the file (for messages), its
     * format, the number of lines before each partition and, for CSV, the header, whether a partition starts inside
     * a quoted field, and the lines that finish a record a partition leaves open.
     */
    private record Plan(String file, Format format, long[] lineOffsets, String header, boolean[] openAtStart,
            Map<Integer, List<String>> tails) implements Serializable {

        static Plan of(Path file, JavaRDD<String> lines) {
            Format format = Format.of(file);
            boolean csv = format == Format.CSV;
            List<Object[]> scan = lines.mapPartitionsWithIndex((p, it) -> {
                long n = 0;
                long quotes = 0;
                String first = null;
                while (it.hasNext()) {
                    String line = it.next();
                    if (p == 0 && n == 0) {
                        first = line; // the header, whose quotes are its own
                    } else if (csv) {
                        quotes += LabelledFiles.quotes(line);
                    }
                    n++;
                }
                return List.<Object[]>of(new Object[] {n, quotes, first}).iterator();
            }, true).collect();
            int parts = scan.size();
            long[] offsets = new long[parts];
            boolean[] openAtStart = new boolean[parts];
            long lineTotal = 0;
            long quoteTotal = 0;
            for (int p = 0; p < parts; p++) {
                offsets[p] = lineTotal;
                openAtStart[p] = quoteTotal % 2 == 1;
                lineTotal += (Long) scan.get(p)[0];
                quoteTotal += (Long) scan.get(p)[1];
            }
            String header = parts == 0 ? null : (String) scan.get(0)[2];
            Map<Integer, List<String>> tails = new HashMap<>();
            if (csv && header != null) {
                new LabelledFiles.CsvRecords(file, header); // a bad header fails on the driver
                tails = tails(lines, openAtStart);
            }
            return new Plan(file.toString(), format, offsets, header, openAtStart, tails);
        }

        /**
         * For each partition whose last CSV record runs on into the next partition(s), the lines that finish it:
         * the leading lines of the following partitions up to the one where the record's quotes close.
         */
        private static Map<Integer, List<String>> tails(JavaRDD<String> lines, boolean[] openAtStart) {
            Map<Integer, List<String>> tails = new HashMap<>();
            boolean any = false;
            for (boolean b : openAtStart) {
                any |= b;
            }
            if (!any) {
                return tails;
            }
            List<Object[]> heads = lines.mapPartitionsWithIndex((p, it) -> {
                if (!openAtStart[p]) {
                    return java.util.Collections.<Object[]>emptyIterator();
                }
                List<String> head = new ArrayList<>();
                boolean closed = false;
                long quotes = 0;
                while (!closed && it.hasNext()) {
                    String line = it.next();
                    head.add(line);
                    quotes += LabelledFiles.quotes(line);
                    closed = quotes % 2 == 1;
                }
                return List.<Object[]>of(new Object[] {p, head, closed}).iterator();
            }, true).collect();
            Map<Integer, Object[]> byPartition = new HashMap<>();
            for (Object[] h : heads) {
                byPartition.put((Integer) h[0], h);
            }
            for (int p = 0; p + 1 < openAtStart.length; p++) {
                if (!openAtStart[p + 1]) {
                    continue;
                }
                List<String> tail = new ArrayList<>();
                for (int q = p + 1; q < openAtStart.length && openAtStart[q]; q++) {
                    Object[] h = byPartition.get(q);
                    @SuppressWarnings("unchecked")
                    List<String> headLines = (List<String>) h[1];
                    tail.addAll(headLines);
                    if ((Boolean) h[2]) {
                        break;
                    }
                }
                tails.put(p, tail);
            }
            return tails;
        }
    }

    /**
     * Parses one partition's lines lazily (a few lines held at a time), numbering examples from
     * {@code exampleOffset + 1}.
     */
    private static final class Parser implements Iterator<Numbered> {
        private final Plan plan;
        private final int partition;
        private final Path file;
        private final Iterator<String> lines;
        private Iterator<String> tail;
        private long lineNo;
        private long tailLineNo;
        private long exampleNo;
        private LabelledFiles.CsvRecords csv;
        private LabelledExample next;

        Parser(Plan plan, int partition, Iterator<String> lines, long exampleOffset) {
            this.plan = plan;
            this.partition = partition;
            this.file = Path.of(plan.file());
            this.lines = lines;
            this.lineNo = plan.lineOffsets()[partition];
            this.exampleNo = exampleOffset;
            if (plan.format() == Format.CSV && plan.header() != null) { // no header: the file has no lines
                csv = new LabelledFiles.CsvRecords(file, plan.header());
                if (partition == 0 && lines.hasNext()) {
                    lines.next(); // the header
                    lineNo++;
                }
                if (plan.openAtStart()[partition]) {
                    long quotes = 0; // this partition starts inside a record that an earlier one finishes
                    while (quotes % 2 == 0 && lines.hasNext()) {
                        quotes += LabelledFiles.quotes(lines.next());
                        lineNo++;
                    }
                }
            }
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                if (lines.hasNext()) {
                    String line = lines.next();
                    lineNo++;
                    next = csv != null ? csv.accept(line, lineNo)
                            : LabelledFiles.parseLine(plan.format(), file, line, lineNo);
                } else if (csv != null && csv.open()) {
                    if (tail == null) {
                        tail = plan.tails().getOrDefault(partition, List.of()).iterator();
                        tailLineNo = partition + 1 < plan.lineOffsets().length ? plan.lineOffsets()[partition + 1] : 0;
                    }
                    if (!tail.hasNext()) {
                        csv.finish(); // the file ended inside a quoted field: fails naming the line it opened on
                    }
                    next = csv.accept(tail.next(), ++tailLineNo);
                } else {
                    return false;
                }
            }
            return true;
        }

        @Override
        public Numbered next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            LabelledExample e = next;
            next = null;
            return new Numbered(e, ++exampleNo);
        }
    }
}
