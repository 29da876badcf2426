package dev.keel.server;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.ChatTemplate;
import dev.keel.spi.infer.Generation;
import dev.keel.spi.infer.InferenceEvents;
import dev.keel.spi.infer.StepDecoding;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/**
 * One model the server serves under a name: its session (opened through {@link KeelRuntime#open}, so every
 * reference the runtime understands works), what it can do (found by asking it at warm-up), its admission
 * queue, its chat template when it was adapted to prompts and responses, and its continuous-batching loop
 * when the session decodes sequences together ({@link StepDecoding}).
 */
final class ServedModel implements AutoCloseable {
    final String name;
    final String reference;
    final InferenceSession session;
    final boolean generates;
    final boolean embeds;
    final boolean classifies;
    final Optional<ChatTemplate> chat;
    final int maxQueue;
    private final Semaphore admission;
    private final StepDecoding decoding;
    private final DecodeLoop decoder;
    /** Why the model decodes one request at a time, when it does. */
    final String batchingNote;

    private ServedModel(String name, String reference, ModelRef ref, InferenceSession session, int maxQueue,
            int maxBatch) {
        this.name = name;
        this.reference = reference;
        this.session = session;
        this.maxQueue = maxQueue;
        this.admission = new Semaphore(maxQueue);
        this.generates = ModelFamily.GPT2.equals(session.info().config().family());
        StepDecoding d = generates ? StepDecoding.of(session).orElse(null) : null;
        DecodeLoop loop = null;
        String note = generates ? null : "does not generate";
        if (d != null) {
            try {
                loop = new DecodeLoop(name, d.openBatch(), maxBatch);
            } catch (UnsupportedCapabilityException e) {
                note = e.getMessage();
                d = null;
            }
        } else if (generates) {
            note = "the session (" + session.getClass().getSimpleName() + ") cannot decode sequences together";
        }
        this.decoding = d;
        this.decoder = loop;
        this.batchingNote = note;
        // the named folder's keel.json: an adapted LoRA folder opens as its merged copy elsewhere
        this.chat = !generates ? Optional.empty() : ref.path().flatMap(ChatTemplate::read)
                .or(() -> Optional.ofNullable(session.info().location()).flatMap(ChatTemplate::read));
        this.embeds = probe(() -> session.embed(List.of(warmText())));
        this.classifies = probe(() -> session.classify(List.of(warmText())));
        if (generates) {
            // the first engine calls are slow (lazy initialisation): pay them before the server says it is ready
            try {
                generate(null, GenerationRequest.builder().prompt(warmText()).maxTokens(2).greedy().build(),
                        TokenListener.NONE, () -> false);
            } catch (RuntimeException e) {
                if (decoder != null) {
                    decoder.close();
                }
                throw e;
            }
        }
    }

    /**
     * Opens and warms up a model with {@code threads} intra-op threads (0: the engine's choice); a folder's chat
     * template is read from the folder itself.
     */
    static ServedModel open(KeelRuntime runtime, String name, String reference, int maxQueue, int maxBatch,
            int threads) {
        ModelRef ref = ModelRef.parse(reference);
        // captured (when capture is on) under the served name
        InferenceSession session = runtime.open(ref, SessionOptions.builder().device(runtime.device()).threads(threads)
                .build(), name);
        try {
            return new ServedModel(name, reference, ref, session, maxQueue, maxBatch);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private String warmText() {
        int[] ids = generates ? new int[] {0, 1} : null;
        return ids == null ? "warm up" : session.tokenizer().decode(ids);
    }

    private static boolean probe(Runnable call) {
        try {
            call.run();
            return true;
        } catch (UnsupportedCapabilityException e) {
            return false;
        }
    }

    boolean batched() {
        return decoder != null;
    }

    DecodeLoop decoder() {
        return decoder;
    }

    /** Takes a place in the model's queue, or fails with 429 when {@code maxQueue} requests are in flight. */
    void admit() {
        if (!admission.tryAcquire()) {
            throw ApiException.overloaded(name, maxQueue);
        }
    }

    void release() {
        admission.release();
    }

    int inFlight() {
        return maxQueue - admission.availablePermits();
    }

    /** The id a generation will report, known before it starts when the server runs it (null otherwise). */
    String newGenerationId() {
        return decoder != null ? InferenceEvents.newId() : null;
    }

    /**
     * Runs one generation: in the continuous batch when there is one (reporting the inference event itself,
     * under {@code id}), else through the session. Stops with {@link CancellationException} once
     * {@code cancelled} says the client went away.
     */
    GenerationResult generate(String id, GenerationRequest request, TokenListener listener, BooleanSupplier cancelled) {
        TokenListener guarded = (token, text) -> {
            if (cancelled.getAsBoolean()) {
                throw new CancellationException("the client went away");
            }
            listener.onToken(token, text);
        };
        if (decoder == null) {
            return session.generate(request, guarded);
        }
        String inferenceId = id != null ? id : InferenceEvents.newId();
        InferenceEvents.Builder event = InferenceEvents.start(inferenceId, dev.keel.api.infer.Operation.GENERATE, session.info())
                .inputs(List.of(request.prompt()));
        long start = System.nanoTime();
        DecodeLoop.Ticket ticket = null;
        try {
            // the window slides past the context, as in the sessions: output is bounded by max tokens only
            ticket = decoder.submit(new Generation.Decoder(inferenceId, request, session.tokenizer(),
                    Integer.MAX_VALUE, guarded), cancelled);
            Generation.Outcome o = ticket.await();
            event.inputTokens(o.promptTokens()).outputTokens(o.result().tokens().length)
                    .firstToken(o.firstTokenNanos()).outputs(List.of(o.result().text()));
            return o.result();
        } catch (RuntimeException e) {
            event.error(e);
            throw e;
        } finally {
            List<InferenceListener> listeners = ticket != null ? ticket.listeners() : null;
            event.compute(System.nanoTime() - start).emit(listeners != null ? listeners : decoding.eventListeners());
        }
    }

    /** The text that ended a response in training (the end-of-text token's text), or "" without one. */
    String endOfTurn() {
        int eot = session.tokenizer().endOfTextId();
        return eot < 0 ? "" : session.tokenizer().decode(new int[] {eot});
    }

    ChatTemplate requireChat() {
        return chat.orElseThrow(() -> new InvalidInputException("model '" + name + "' (" + reference + ") has no "
                + "chat template, so it cannot chat: it was not adapted to prompts and responses. Adapt it with "
                + "keel adapt --task prompt-response (which records the template), or call /v1/completions"));
    }

    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
        }
        session.close();
    }
}
