package dev.keel.tf;

import dev.keel.api.infer.TokenListener;
import dev.keel.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns generated tokens into streamed text. It decodes the whole generation each time, since a byte-level
 * token can be half a character, and holds back the tail that could still become a stop string, so the
 * listener never sees text the final result leaves out.
 */
final class Decoder {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final TokenListener listener;
    private final int holdBack;
    private final List<Integer> tokens = new ArrayList<>();
    private String text = "";
    private int emitted;
    private boolean stopped;

    Decoder(Tokenizer tokenizer, List<String> stops, TokenListener listener) {
        this.tokenizer = tokenizer;
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
        this.listener = listener;
        this.holdBack = this.stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /** Adds one token; returns true when the text now holds a stop string (it is cut before it). */
    boolean add(int token) {
        tokens.add(token);
        text = tokenizer.decode(tokens.stream().mapToInt(Integer::intValue).toArray());
        int cut = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, Math.max(0, emitted - stop.length()));
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text = text.substring(0, cut);
            stopped = true;
            emit(token, text.length());
            return true;
        }
        int safe = text.length() - holdBack;
        if (!text.isEmpty() && text.charAt(text.length() - 1) == '\uFFFD') {
            safe = Math.min(safe, text.length() - 1);
        }
        emit(token, safe);
        return false;
    }

    private void emit(int token, int upTo) {
        if (upTo > emitted) {
            listener.onToken(token, text.substring(emitted, upTo));
            emitted = upTo;
        }
    }

    /** Streams what was held back and returns the whole text. */
    String finish() {
        if (!stopped && !tokens.isEmpty()) {
            emit(tokens.get(tokens.size() - 1), text.length());
        }
        return text;
    }

    int[] tokens() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
