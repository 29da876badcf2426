package dev.keel.spi.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static ChatTemplate.Message m(String role, String content) {
        return new ChatTemplate.Message(role, content);
    }

    @Test
    void a_conversation_renders_as_the_prompts_and_responses_the_model_was_trained_on() {
        ChatTemplate t = new ChatTemplate("Q: {prompt} A:");
        assertThat(t.render(List.of(m("user", "cat?")), "<eot>")).isEqualTo("Q: cat? A:");
        assertThat(t.render(List.of(m("system", "be brief"), m("user", "cat?"), m("assistant", " mat"),
                m("user", "dog?")), "<eot>")).isEqualTo("be brief\nQ: cat? A: mat<eot>Q: dog? A:");
    }

    @Test
    void a_conversation_that_does_not_end_with_the_user_or_has_an_unknown_role_is_refused() {
        ChatTemplate t = new ChatTemplate(ChatTemplate.VERBATIM);
        assertThatThrownBy(() -> t.render(List.of(m("user", "a"), m("assistant", "b")), ""))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("end the conversation with a user");
        assertThatThrownBy(() -> t.render(List.of(m("robot", "a"), m("user", "b")), ""))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("robot");
        assertThatThrownBy(() -> new ChatTemplate("no placeholder")).isInstanceOf(InvalidInputException.class);
    }
}
