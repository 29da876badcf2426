package dev.keel.spark.train;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.Labels;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.train.TrainingConfig;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.TextColumns;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Tuple2;
import scala.reflect.ClassTag$;

/**
 * Data-parallel {@code lora} and {@code full} fine-tuning of a bert classifier on Spark. The training rows are
 * cut into {@code workers} equal shards (up to {@code workers - 1} rows are left out, so that every worker takes
 * the same number of steps, which a barrier needs), and a barrier stage runs one task per shard. Each task starts
 * a training worker JVM ({@link WorkerProcess}, the executor's own Java and class path), which trains its shard
 * with the backend's ordinary adaptation loop ({@link dev.keel.spi.train.DataParallelAdapter}: on djl the same
 * loop as {@code keel adapt}). Every {@code syncEvery} steps, before every dev evaluation and at the last step,
 * the workers hand their trainable parameters (the LoRA matrices and the classifier; every weight for
 * {@code full}) to their tasks, which average them with {@link org.apache.spark.BarrierTaskContext#allGather}
 * and hand the average back. Each worker's AdamW moments stay its own (model averaging, "local SGD"): see
 * docs/spark.md for why. All workers therefore evaluate the same weights and stop early together (on the first
 * worker's decision), and the first worker's folder, an ordinary adapted folder that every backend opens, is
 * the result: its files travel back through Spark and are written on the driver, beside {@code out} and then
 * moved into place.
 *
 * <p>Why child JVMs: DJL's gradient collector is process-wide, and in {@code local[N]} every task is a thread of
 * the driver's JVM, so two trainings cannot run in one JVM. The same design serves a cluster, where each
 * executor may run several tasks.
 */
public final class DataParallelFineTuning {
    private static final String DATA_PARALLEL = "spark barrier, one worker JVM per task, parameter averaging "
            + "(allGather); AdamW moments local to each worker";
    private final String base;
    private AdaptationMethod method = AdaptationMethod.LORA;
    private int workers = 2;
    private int syncEvery = 8;
    private TrainingConfig training = AdaptationSpec.defaultTraining();
    private LoraConfig lora = LoraConfig.defaults();
    private int maxLength = AdaptationSpec.DEFAULT_MAX_LENGTH;
    private int patience = AdaptationSpec.DEFAULT_PATIENCE;
    private int evalEvery = 0;
    private double warmupFraction = AdaptationSpec.DEFAULT_WARMUP_FRACTION;
    private ClassWeighting classWeights = ClassWeighting.AUTO;
    private String backend;
    private String device = "cpu";
    private String workerHeap = "768m";
    private int workerThreads = 1;
    private List<String> workerJvmOptions = List.of();
    private String textCol = "text";
    private String labelCol = "label";

    /**
     * @param base a bert model folder every executor can read at this path, or {@code builtin:NAME} (each
     *             executor imports it once into its models cache, as {@code keel adapt} does)
     */
    public DataParallelFineTuning(String base) {
        if (base == null || base.isBlank()) {
            throw new InvalidInputException("data-parallel fine-tuning needs a base model: a bert folder or "
                    + "builtin:all-minilm-l6-v2");
        }
        this.base = base;
    }

    /** {@code lora} (default) or {@code full}; a {@code head} trains data-parallel in {@link DataParallelHead}. */
    public DataParallelFineTuning method(AdaptationMethod m) {
        if (m == AdaptationMethod.HEAD) {
            throw new InvalidInputException("method head trains over frozen embeddings: use DataParallelHead, which "
                    + "needs no worker JVMs; this class fine-tunes with lora or full");
        }
        method = m;
        return this;
    }

    public DataParallelFineTuning workers(int n) {
        if (n < 1) {
            throw new InvalidInputException("workers must be at least 1, got " + n);
        }
        workers = n;
        return this;
    }

    /** Steps between parameter averages (K, default 8); dev evaluations and the last step always average. */
    public DataParallelFineTuning syncEvery(int k) {
        if (k < 1) {
            throw new InvalidInputException("sync interval must be at least 1 step, got " + k);
        }
        syncEvery = k;
        return this;
    }

    /** The schedule each worker runs over its shard (epochs count passes over the shard; batch is per worker). */
    public DataParallelFineTuning training(TrainingConfig t) {
        training = java.util.Objects.requireNonNull(t, "training");
        return this;
    }

    public DataParallelFineTuning lora(LoraConfig l) {
        lora = java.util.Objects.requireNonNull(l, "lora");
        return this;
    }

    public DataParallelFineTuning maxLength(int n) {
        maxLength = n;
        return this;
    }

    /** Dev evaluations without improvement before all workers stop (0 never stops early). */
    public DataParallelFineTuning patience(int n) {
        patience = n;
        return this;
    }

    /** Steps between dev evaluations; 0 evaluates once per epoch of the shard. */
    public DataParallelFineTuning evalEvery(int n) {
        evalEvery = n;
        return this;
    }

    public DataParallelFineTuning warmupFraction(double f) {
        warmupFraction = f;
        return this;
    }

    public DataParallelFineTuning classWeights(ClassWeighting w) {
        classWeights = w;
        return this;
    }

    /** The training backend (null: the selection rule; djl is the one that trains bert full and lora). */
    public DataParallelFineTuning backend(String name) {
        backend = name;
        return this;
    }

    public DataParallelFineTuning device(String d) {
        device = d;
        return this;
    }

    /**
     * The worker JVMs' settings: Java heap (default 768m; the engine's tensors live outside it), engine threads
     * (default 1, so that {@code workers} tasks on one machine do not oversubscribe its cores), and extra JVM
     * options.
     */
    public DataParallelFineTuning workerJvm(String heap, int threads, List<String> options) {
        if (threads < 1) {
            throw new InvalidInputException("worker threads must be at least 1, got " + threads);
        }
        workerHeap = heap;
        workerThreads = threads;
        workerJvmOptions = List.copyOf(options);
        return this;
    }

    public DataParallelFineTuning columns(String text, String label) {
        textCol = text;
        labelCol = label;
        return this;
    }

    /**
     * @param out        the adapted folder written
     * @param metrics    the first worker's figures (dev metrics of the kept weights, {@code dev_accuracy} ...)
     * @param steps      optimisation steps each worker took
     * @param syncs      parameter averages each worker took part in
     * @param trainRows  rows trained on, all workers together
     * @param workers    workers in the run
     * @param seconds    wall time of the barrier stage (worker JVM start, training, writing)
     * @param msPerStep  the first worker's compute time per step
     * @param trainable  trainable parameters (what each average moves per worker)
     */
    public record Result(Path out, Map<String, Double> metrics, int steps, int syncs, long trainRows, int workers,
            double seconds, double msPerStep, long trainable) {
        public double devAccuracy() {
            return metrics.getOrDefault("dev_accuracy", Double.NaN);
        }
    }

    /** Trains on {@code train} (text and label columns), evaluates on {@code dev} (may be null), writes {@code out}. */
    public Result train(Dataset<Row> train, Dataset<Row> dev, Path out) {
        AdaptedModels.requireFreshOutput(out);
        requireColumns(train, "training");
        if (dev != null) {
            requireColumns(dev, "dev");
        }
        try {
            return run(train, dev, out);
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
    }

    private void requireColumns(Dataset<Row> data, String what) {
        TextColumns.requireString(data.schema(), textCol, what + " text");
        DataType label = TextColumns.require(data.schema(), labelCol, what + " label").dataType();
        if (!List.of(DataTypes.StringType, DataTypes.IntegerType, DataTypes.LongType, DataTypes.ShortType,
                DataTypes.ByteType).contains(label)) {
            throw new InvalidInputException("the " + what + " label column '" + labelCol + "' holds "
                    + label.simpleString() + "; labels must be strings (class names) or integers");
        }
    }

    private Result run(Dataset<Row> train, Dataset<Row> dev, Path out) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        String baseRef = checkedBase(jsc);
        Dataset<Row> rows = labelled(train);
        Map<String, Long> labelCounts = new HashMap<>();
        for (Row r : rows.groupBy("label").count().collectAsList()) {
            labelCounts.put(r.getString(0), r.getLong(1));
        }
        Labels labels = Labels.ordered(new TreeSet<>(labelCounts.keySet()), "training data");
        int[] counts = new int[labels.size()];
        for (int c = 0; c < counts.length; c++) {
            counts[c] = Math.toIntExact(labelCounts.get(labels.name(c)));
        }
        long n = java.util.Arrays.stream(counts).asLongStream().sum();
        long perWorker = n / workers;
        if (perWorker < training.batchSize()) {
            throw new InvalidInputException(n + " training rows make shards of " + perWorker + " rows for " + workers
                    + " workers, fewer than one batch of " + training.batchSize() + "; use fewer workers or a smaller "
                    + "batch");
        }
        Map<String, Object> settings = WorkerJob.settings(baseRef, backend, device, method, training, lora, maxLength,
                patience, evalEvery, warmupFraction, classWeights, labels.names(), counts, workers, syncEvery);
        String devLines = dev == null ? null : devLines(labelled(dev).collectAsList(), labels);
        Broadcast<String> devBroadcast = jsc.broadcast(devLines);

        int w = workers;
        JavaRDD<Tuple2<Long, String>> shards = jsonLines(rows, "training").zipWithIndex()
                .filter(t -> t._2() < perWorker * w)
                .mapToPair(t -> new Tuple2<>((int) (t._2() % w), new Tuple2<>(t._2(), t._1())))
                .partitionBy(new HashPartitioner(w)).values();
        List<String> jvm = new ArrayList<>();
        jvm.add("-Xmx" + workerHeap);
        jvm.addAll(workerJvmOptions);
        ShardTask task = new ShardTask(Json.compact(settings), devBroadcast, jvm, workerThreads);
        long t0 = System.nanoTime();
        List<WorkerResult> results = new ArrayList<>(shards.rdd().barrier()
                .mapPartitions(task, false, ClassTag$.MODULE$.apply(WorkerResult.class)).toJavaRDD().collect());
        double seconds = (System.nanoTime() - t0) / 1e9;
        devBroadcast.destroy();
        results.sort(Comparator.comparingInt(WorkerResult::rank));
        WorkerResult first = results.get(0);
        Map<String, Object> summary = Json.parseObject(first.result(), "the first worker's result");
        List<String> shardPrints = results.stream().map(WorkerResult::trainFingerprint).toList();
        writeFolder(out, first.files(), perWorker, shardPrints, ((Number) summary.get("syncs")).intValue());

        Map<String, Double> metrics = new LinkedHashMap<>();
        WorkerJob.map(summary.get("metrics")).forEach((k, v) -> metrics.put(k, ((Number) v).doubleValue()));
        return new Result(out, metrics, ((Number) summary.get("steps")).intValue(),
                ((Number) summary.get("syncs")).intValue(), perWorker * workers, workers, seconds,
                ((Number) summary.get("ms_per_step")).doubleValue(),
                ((Number) summary.get("trainable_parameters")).longValue());
    }

    /**
     * The base as the workers will name it; checked on the driver where it can be. In local mode a builtin base is
     * imported here once, so that the workers (JVMs on this machine) do not each import it.
     */
    private String checkedBase(JavaSparkContext jsc) {
        ModelRef ref = ModelRef.parse(base);
        if (ref.isBuiltin() && jsc.sc().isLocal()) {
            ref = KeelRuntime.builder().build().portable(ref);
        }
        if (ref.isBuiltin()) {
            return ref.toString();
        }
        Path folder = ref.path().orElseThrow();
        if (Files.isDirectory(folder)) {
            ModelConfig config = ModelFolder.readConfig(folder);
            if (!(config instanceof BertConfig)) {
                throw new UnsupportedCapabilityException(folder + " holds a " + config.family() + " model; data-parallel "
                        + "lora and full fine-tuning train bert classifiers (a gpt2 base classifies with a head: "
                        + "DataParallelHead)");
            }
        } else if (Files.exists(folder)) {
            throw new InvalidInputException("base " + folder + " is a file; pass a bert model folder or builtin:NAME");
        }
        return folder.toAbsolutePath().normalize().toString();
    }

    /** {@code (text, label)} with labels as trimmed strings; rows without a label are left out. */
    private Dataset<Row> labelled(Dataset<Row> data) {
        Column label = org.apache.spark.sql.functions.trim(data.col(labelCol).cast("string"));
        return data.where(data.col(labelCol).isNotNull()).select(data.col(textCol).as("text"), label.as("label"));
    }

    /** The dev rows (small: collected once) as JSONL, each label checked on the driver before any worker starts. */
    private static String devLines(List<Row> rows, Labels labels) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.isNullAt(0)) {
                throw new InvalidInputException("the dev text column holds a null in a labelled row; every row needs a "
                        + "text (filter the nulls out first)");
            }
            labels.indexOf(r.getString(1), "dev data", i + 1); // names the label and the labels there are
            Map<String, String> line = new LinkedHashMap<>();
            line.put("text", r.getString(0));
            line.put("label", r.getString(1));
            sb.append(Json.compact(line)).append('\n');
        }
        return sb.toString();
    }

    /** Rows as the JSONL lines a worker reads (Keel's labelled JSONL format); a null text is an error. */
    private static JavaRDD<String> jsonLines(Dataset<Row> rows, String what) {
        return rows.javaRDD().map(r -> {
            if (r.isNullAt(0)) {
                throw new InvalidInputException("the " + what + " text column holds a null in a labelled row; every "
                        + "row needs a text (filter the nulls out first)");
            }
            Map<String, String> line = new LinkedHashMap<>();
            line.put("text", r.getString(0));
            line.put("label", r.getString(1));
            return Json.compact(line);
        });
    }

    /** Writes the first worker's files beside {@code out}, records the run in keel.json, and moves them into place. */
    private void writeFolder(Path out, Map<String, byte[]> files, long perWorker, List<String> shardPrints, int syncs) {
        Path target = out.toAbsolutePath().normalize();
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".dp-");
            try {
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    Path file = staging.resolve(f.getKey()).normalize();
                    if (!file.startsWith(staging)) {
                        throw new CheckpointException("a worker returned the file " + f.getKey() + " outside its folder");
                    }
                    Files.createDirectories(file.getParent());
                    AtomicFiles.write(file, ch -> {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(f.getValue());
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    });
                }
                KeelMetadata meta = ModelFolder.readMetadata(staging);
                Map<String, Object> t = new LinkedHashMap<>(meta.training());
                t.put("data_parallel", DATA_PARALLEL);
                t.put("workers", workers);
                t.put("sync_every", syncEvery);
                t.put("syncs_per_worker", syncs);
                t.put("shard_examples", perWorker);
                t.put("train_examples", perWorker * workers);
                Map<String, String> data = new LinkedHashMap<>(meta.data());
                data.remove("train"); // the first shard's file: the run trained on all of them
                data.put("train_shards", String.join(",", shardPrints));
                ModelFolder.writeMetadata(staging, meta.withTraining(t).withData(data));
                AtomicFiles.forceDirectory(staging);
                AdaptedModels.requireFreshOutput(target); // again: the run took a while
                Files.deleteIfExists(target);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                AtomicFiles.deleteTree(staging);
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot write the adapted folder " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a worker's task returns: its rank, the worker's result (JSON), its shard's fingerprint, and for the
     * first worker the adapted folder's files by relative name.
     */
    record WorkerResult(int rank, String result, String trainFingerprint, Map<String, byte[]> files)
            implements Serializable { }

    /** The barrier task: writes the shard, runs a worker JVM on it, and averages for it through allGather. */
    static final class ShardTask extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Tuple2<Long, String>>,
            scala.collection.Iterator<WorkerResult>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String settings;
        private final Broadcast<String> dev;
        private final List<String> jvmOptions;
        private final int threads;

        ShardTask(String settings, Broadcast<String> dev, List<String> jvmOptions, int threads) {
            this.settings = settings;
            this.dev = dev;
            this.jvmOptions = List.copyOf(jvmOptions);
            this.threads = threads;
        }

        @Override
        public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<Tuple2<Long, String>> rows) {
            org.apache.spark.BarrierTaskContext ctx = org.apache.spark.BarrierTaskContext.get();
            List<Tuple2<Long, String>> shard = new ArrayList<>();
            rows.foreach(shard::add);
            // the shuffle delivers rows in no fixed order: sort by their global index so runs repeat
            shard.sort(Comparator.comparingLong(Tuple2::_1));
            try {
                Path dir = Files.createTempDirectory(Path.of(org.apache.spark.SparkFiles.getRootDirectory()),
                        "keel-worker-" + ctx.partitionId() + "-");
                try {
                    WorkerResult r = runWorker(ctx, dir, shard);
                    return scala.jdk.javaapi.CollectionConverters.asScala(List.of(r).iterator());
                } finally {
                    AtomicFiles.deleteTree(dir);
                }
            } catch (IOException e) {
                throw new KeelException("a training worker's folder failed: " + e.getMessage(), e);
            }
        }

        private WorkerResult runWorker(org.apache.spark.BarrierTaskContext ctx, Path dir,
                List<Tuple2<Long, String>> shard) throws IOException {
            int rank = ctx.partitionId();
            Path trainFile = dir.resolve("train.jsonl");
            Files.write(trainFile, shard.stream().map(Tuple2::_2).toList());
            Path devFile = null;
            if (dev.value() != null) {
                devFile = dir.resolve("dev.jsonl");
                Files.writeString(devFile, dev.value());
            }
            Path folder = dir.resolve("out");
            Map<String, Object> job = WorkerJob.forWorker(Json.parseObject(settings, "worker settings"), rank, trainFile,
                    devFile, folder);
            Files.writeString(dir.resolve("job.json"), Json.pretty(job));
            List<String> options = new ArrayList<>(jvmOptions);
            options.add("-XX:+UseSerialGC");
            options.add("-Dai.djl.offline=true");
            System.getProperties().forEach((k, v) -> {
                if (String.valueOf(k).startsWith("keel.")) {
                    options.add("-D" + k + "=" + v); // the cache and backend settings the executor runs with
                }
            });
            Map<String, String> env = Map.of("OMP_NUM_THREADS", Integer.toString(threads), "OMP_WAIT_POLICY", "PASSIVE");
            try (WorkerProcess worker = WorkerProcess.start(ShardWorker.class.getName(), options, env,
                    List.of(dir.toString()), dir.resolve("worker.log"), ctx::isInterrupted)) {
                ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> worker.close());
                String result = converse(ctx, worker);
                Map<String, byte[]> files = new LinkedHashMap<>();
                if (rank == 0) {
                    try (var walk = Files.walk(folder)) {
                        for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                            files.put(folder.relativize(p).toString(), Files.readAllBytes(p));
                        }
                    }
                }
                String print = ModelFolder.readMetadata(folder).data().getOrDefault("train", "");
                return new WorkerResult(rank, result, print, files);
            }
        }

        /** Serves the worker's messages until it is done; returns its result. */
        private static String converse(org.apache.spark.BarrierTaskContext ctx, WorkerProcess worker)
                throws IOException {
            org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DataParallelFineTuning.class);
            while (true) {
                int type = worker.awaitMessage(ctx::isInterrupted);
                switch (type) {
                    case WorkerMessages.SYNC -> {
                        worker.in().readInt(); // step
                        worker.in().readInt(); // total
                        List<float[]> parameters = WorkerMessages.readArrays(worker.in());
                        BarrierAverage.average(ctx, parameters);
                        WorkerMessages.writeArrays(worker.out(), parameters);
                        worker.out().flush();
                    }
                    case WorkerMessages.STOP -> {
                        boolean local = worker.in().readBoolean();
                        String[] all = ctx.allGather(local ? "stop" : "go");
                        worker.out().writeBoolean("stop".equals(all[0])); // the first worker's decision
                        worker.out().flush();
                    }
                    case WorkerMessages.PROGRESS -> log.info("training worker {}: {}", ctx.partitionId(),
                            worker.in().readUTF());
                    case WorkerMessages.DONE -> {
                        return worker.in().readUTF();
                    }
                    case WorkerMessages.FAILED -> {
                        String kind = worker.in().readUTF();
                        throw WorkerMessages.rethrown(kind, "training worker " + ctx.partitionId() + ": "
                                + worker.in().readUTF());
                    }
                    default -> throw new KeelException("training worker " + ctx.partitionId()
                            + " sent an unknown message (" + type + "); is its class path another Keel version?");
                }
            }
        }
    }
}
