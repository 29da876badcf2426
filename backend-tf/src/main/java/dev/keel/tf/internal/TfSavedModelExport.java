package dev.keel.tf.internal;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.OutputFolders;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a GPT-2 folder as a TensorFlow SavedModel (tag {@code serve}, signature {@code serving_default}:
 * {@code input_ids} int32 {@code [batch, time]} to {@code logits} float32 {@code [batch, time, vocab]}) next to
 * a copy of the portable files, so the target is both a Keel folder and something TensorFlow Serving or
 * Python's {@code tf.saved_model.load} opens. The weights are variables saved in the SavedModel's checkpoint,
 * not constants, so size is not bounded by the 2 GB GraphDef limit. Written into a temporary sibling and
 * renamed, so a failed export leaves no half-written target.
 */
final class TfSavedModelExport {
    static final String SAVED_MODEL = "saved_model";
    static final String SIGNATURE = Signature.DEFAULT_KEY;

    private TfSavedModelExport() { }

    static Path export(Path source, Path target) {
        Path src = ModelFolder.requireFolder(source).toAbsolutePath().normalize();
        Path dst = target.toAbsolutePath().normalize();
        if (dst.equals(src) || dst.startsWith(src)) {
            throw new InvalidInputException("export target " + target + " is the model folder or inside it; "
                    + "pick a new folder");
        }
        OutputFolders.requireFresh(dst, "export target");
        ModelFolder.requireComplete(src);
        Gpt2Weights w = Gpt2Weights.read(source);
        return AtomicFiles.writeDirectory(dst, tmp -> {
            copyPortableFiles(src, tmp);
            writeSavedModel(w, tmp.resolve(SAVED_MODEL));
        });
    }

    private static void copyPortableFiles(Path src, Path dst) throws IOException {
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".json") || name.equals(ModelFolder.WEIGHTS)) {
                    Files.copy(f, dst.resolve(name));
                }
            }
        }
    }

    private static void writeSavedModel(Gpt2Weights w, Path dir) throws IOException {
        Map<String, long[]> shapes = Gpt2Layout.shapes(w.config());
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Map<String, Variable<TFloat32>> vars = new java.util.LinkedHashMap<>();
            List<Op> assigns = new ArrayList<>();
            List<Placeholder<TFloat32>> feeds = new ArrayList<>();
            for (String name : shapes.keySet()) {
                Shape shape = Shape.of(shapes.get(name));
                Variable<TFloat32> v = tf.withName(name.replace('.', '_')).variable(shape, TFloat32.class);
                Placeholder<TFloat32> feed = tf.placeholder(TFloat32.class, Placeholder.shape(shape));
                vars.put(name, v);
                feeds.add(feed);
                assigns.add(tf.assign(v, feed));
            }
            Placeholder<TInt32> ids = tf.withName("input_ids").placeholder(TInt32.class,
                    Placeholder.shape(Shape.of(-1, -1)));
            Gpt2Graph model = new Gpt2Graph(tf, w.config(), vars::get, ids, null, null);
            Signature signature = Signature.builder().key(SIGNATURE).input("input_ids", ids)
                    .output("logits", model.logits).build();
            try (Session s = new Session(g, TfTensors.config(0))) {
                Session.Runner r = s.runner();
                List<Tensor> owned = new ArrayList<>();
                try {
                    int i = 0;
                    for (String name : shapes.keySet()) {
                        TFloat32 t = TfTensors.floats(w.values().get(name), shapes.get(name));
                        owned.add(t);
                        r.feed(feeds.get(i++), t);
                    }
                    assigns.forEach(r::addTarget);
                    r.run().close();
                } finally {
                    owned.forEach(Tensor::close);
                }
                SavedModelBundle.exporter(dir.toString()).withTags(SavedModelBundle.DEFAULT_TAG).withSession(s)
                        .withSignature(signature).export();
            }
        }
    }
}
