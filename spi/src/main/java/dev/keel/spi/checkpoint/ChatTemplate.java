package dev.keel.spi.checkpoint;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How a prompt-response model was taught to read a conversation: the text its prompts were made of, so a chat
 * turn can be shaped the same way at serving time. Adaptation records it in {@code keel.json} (training key
 * {@value #KEY}); a model without one was never adapted to answer prompts, and chat serving refuses it.
 *
 * <p>The template is a string with one {@code {prompt}} placeholder; Keel's prompt-response adaptation trains
 * on the prompt verbatim, the response right after it and end-of-text after the response, so it records
 * {@value #VERBATIM}.
 *
 * @param template the prompt text, with {@code {prompt}} where the user's turn goes
 */
public record ChatTemplate(String template) {
    /** The training key under which keel.json records the template. */
    public static final String KEY = "chat_template";
    /** The prompt as it is: what Keel's prompt-response adaptation trains on. */
    public static final String VERBATIM = "{prompt}";
    private static final String PLACEHOLDER = "{prompt}";

    public ChatTemplate {
        if (template == null || !template.contains(PLACEHOLDER)) {
            throw new InvalidInputException("a chat template needs a " + PLACEHOLDER + " placeholder, got " + template);
        }
    }

    /** One turn of a conversation: {@code system}, {@code user} or {@code assistant}. */
    public record Message(String role, String content) { }

    /** The template recorded in a model folder's keel.json, if the model was adapted to prompts and responses. */
    public static Optional<ChatTemplate> read(Path folder) {
        Object t = ModelFolder.readMetadata(folder).training().get(KEY);
        return t instanceof String s ? Optional.of(new ChatTemplate(s)) : Optional.empty();
    }

    /**
     * The prompt for a conversation whose last turn is the user's: system text first (a line each), then
     * every user turn through the template and every earlier assistant turn as it was answered, followed by
     * {@code endOfTurn} (the text that ended a response in training, such as the end-of-text token's text).
     */
    public String render(List<Message> messages, String endOfTurn) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidInputException("messages is empty; send at least one {\"role\": \"user\", \"content\": ...}");
        }
        Message last = messages.get(messages.size() - 1);
        if (!"user".equals(last.role())) {
            throw new InvalidInputException("the last message has role '" + last.role() + "'; the model answers the "
                    + "user, so end the conversation with a user message");
        }
        StringBuilder out = new StringBuilder();
        for (Message m : messages) {
            String content = m.content() == null ? "" : m.content();
            switch (m.role() == null ? "" : m.role()) {
                case "system", "developer" -> out.append(content).append('\n');
                case "user" -> out.append(template.replace(PLACEHOLDER, content));
                case "assistant" -> out.append(content).append(endOfTurn == null ? "" : endOfTurn);
                default -> throw new InvalidInputException("message role '" + m.role() + "' is not one of system, "
                        + "developer, user, assistant");
            }
        }
        return out.toString();
    }
}
