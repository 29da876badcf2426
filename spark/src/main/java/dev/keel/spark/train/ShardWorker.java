package dev.keel.spark.train;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.train.DataParallel;
import dev.keel.spi.train.DataParallelAdapter;
import dev.keel.spi.train.ParameterSync;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main class of a training worker JVM ({@link WorkerProcess}): reads {@code job.json} from the folder it
 * is given, trains its shard with the chosen backend's {@link DataParallelAdapter}, exchanging parameters with
 * its task every {@code sync_every} steps (and before every dev evaluation, and at the last step), and reports
 * the result. It exits when it is done, and halts at once if its parent JVM goes away.
 */
public final class ShardWorker {
    private ShardWorker() { }

    public static void main(String[] args) throws IOException {
        Socket socket = WorkerProcess.Child.connect();
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        int status = 0;
        try {
            Map<String, Object> job = Json.readObject(Path.of(args[0]).resolve("job.json"));
            Map<String, Object> result = run(job, in, out);
            out.writeByte(WorkerMessages.DONE);
            out.writeUTF(Json.compact(result));
            out.flush();
        } catch (RuntimeException | Error e) {
            e.printStackTrace(); // into the worker's log, which the task quotes on failure
            status = 1;
            out.writeByte(WorkerMessages.FAILED);
            out.writeUTF(WorkerMessages.kind(e));
            out.writeUTF(String.valueOf(e.getMessage()));
            out.flush();
        }
        socket.close();
        System.exit(status);
    }

    static Map<String, Object> run(Map<String, Object> job, DataInputStream in, DataOutputStream out) {
        String backend = (String) job.get("backend");
        Device device = Device.parse((String) job.get("device"));
        KeelRuntime runtime = KeelRuntime.builder().backend(backend).device(device).build();
        ModelRef base = runtime.portable(ModelRef.parse((String) job.get("base")));
        AdaptationSpec spec = WorkerJob.spec(job, base);
        BackendProvider provider = runtime.backend(Capability.ADAPT, ModelFamily.BERT);
        Adapter adapter = provider.adapter(device);
        if (!(adapter instanceof DataParallelAdapter dp)) {
            throw new UnsupportedCapabilityException("backend '" + provider.name() + "' adapts bert models on one "
                    + "machine only; data-parallel fine-tuning needs a backend whose adapter trains one shard of a run "
                    + "(djl does: put keel-backend-djl on the executors' class path, or choose it with backend(\"djl\"))");
        }
        int syncEvery = WorkerJob.integer(job, "sync_every");
        int workers = WorkerJob.integer(job, "workers");
        Channel channel = new Channel(in, out, syncEvery, workers);
        DataParallel shard = new DataParallel(WorkerJob.integer(job, "rank"), workers,
                WorkerJob.strings(job.get("labels")), WorkerJob.ints(job.get("label_counts")), channel);
        TrainingListener progress = event -> {
            if (event instanceof TrainingEvent.Evaluation e) {
                channel.progress(String.format(Locale.ROOT, "step %d: train loss %.4f, dev accuracy %.4f", e.step(),
                        e.trainLoss(), e.metrics().getOrDefault("dev_accuracy", Double.NaN)));
            }
        };
        TrainingResult r = dp.adapt(spec, progress, shard);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("backend", provider.name());
        result.put("steps", r.steps());
        result.put("train_loss", r.trainLoss());
        result.put("parameters", r.parameters());
        result.put("trainable_parameters", r.trainableParameters());
        result.put("ms_per_step", r.msPerStep());
        result.put("tokens_per_s", r.tokensPerSecond());
        result.put("seconds", r.wallSeconds());
        result.put("syncs", channel.syncs);
        result.put("metrics", new LinkedHashMap<>(r.metrics()));
        return result;
    }

    /** The hook: exchanges parameters with the task every K steps, before evaluations and at the end. */
    private static final class Channel implements ParameterSync {
        private final DataInputStream in;
        private final DataOutputStream out;
        private final int syncEvery;
        private final int workers;
        int syncs;

        Channel(DataInputStream in, DataOutputStream out, int syncEvery, int workers) {
            this.in = in;
            this.out = out;
            this.syncEvery = syncEvery;
            this.workers = workers;
        }

        @Override
        public void afterStep(int step, int totalSteps, boolean evaluating, Parameters parameters) {
            if (workers == 1 || step % syncEvery != 0 && !evaluating && step != totalSteps) {
                return; // a lone worker's average is itself
            }
            try {
                out.writeByte(WorkerMessages.SYNC);
                out.writeInt(step);
                out.writeInt(totalSteps);
                WorkerMessages.writeArrays(out, parameters.read());
                out.flush();
                List<float[]> average = WorkerMessages.readArrays(in);
                parameters.write(average);
                syncs++;
            } catch (IOException e) {
                throw new UncheckedIOException("the connection to the Spark task broke during a parameter average", e);
            }
        }

        @Override
        public boolean stop(boolean local) {
            if (workers == 1) {
                return local;
            }
            try {
                out.writeByte(WorkerMessages.STOP);
                out.writeBoolean(local);
                out.flush();
                return in.readBoolean();
            } catch (IOException e) {
                throw new UncheckedIOException("the connection to the Spark task broke during an early-stop decision", e);
            }
        }

        void progress(String line) {
            try {
                out.writeByte(WorkerMessages.PROGRESS);
                out.writeUTF(line);
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
