package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingLanguageModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.StreamingResponseHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real OpenAI client (LangChain4j's) pointed at a running server gets the same vectors and the same text as
 * the in-process session: embeddings from the builtin MiniLM, completions and chat (streamed and not) from a
 * gpt2 decoded in the continuous batch.
 */
class OpenAiClientTest {
    @TempDir
    static Path dir;
    static KeelServer server;
    static InferenceSession minilm;
    static InferenceSession tiny;

    @BeforeAll
    static void start() {
        Path folder = ServerFixtures.gpt2(dir.resolve("tiny"), 5, true);
        server = KeelServer.builder().model("minilm", "builtin:all-minilm-l6-v2").model("tiny", folder.toString())
                .apiKeys(ApiKeys.of(List.of("sk-test"))).port(0).start();
        minilm = server.runtime().open(ModelRef.parse("builtin:all-minilm-l6-v2"));
        tiny = server.runtime().open(ModelRef.parse(folder.toString()));
    }

    @AfterAll
    static void stop() {
        minilm.close();
        tiny.close();
        server.close();
    }

    private static String base() {
        return server.url() + "/v1";
    }

    @Test
    void embeddings_from_the_openai_client_equal_the_in_process_vectors() {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(base()).apiKey("sk-test")
                .modelName("minilm").build();
        List<String> texts = List.of("a fine film", "the soup was cold", "Keel serves models over HTTP");
        Response<List<Embedding>> r = model.embedAll(texts.stream().map(TextSegment::from).toList());
        EmbeddingResult inProcess = minilm.embed(texts);
        float[][] expected = inProcess.vectors();
        assertThat(r.content()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(r.content().get(i).vector()).containsExactly(expected[i]);
        }
        // usage counts the tokens the model read ([CLS] and [SEP] included), as the engine reported them
        assertThat(inProcess.inputTokens()).isPresent();
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo((int) inProcess.inputTokens().getAsLong())
                .isGreaterThan(texts.stream().mapToInt(t -> minilm.tokenizer().encode(t).length).sum());
    }

    @Test
    void completions_from_the_openai_client_equal_the_in_process_text() {
        // LangChain4j sends no max_tokens, so the server's default (16, as OpenAI's) applies
        OpenAiLanguageModel model = OpenAiLanguageModel.builder().baseUrl(base()).apiKey("sk-test").modelName("tiny")
                .temperature(0.0).build();
        String expected = tiny.generate(GenerationRequest.builder().prompt("abc").maxTokens(16).greedy().build()).text();
        assertThat(model.generate("abc").content()).isEqualTo(expected);
    }

    @Test
    void streamed_completions_arrive_piece_by_piece_and_add_up_to_the_in_process_text() throws Exception {
        StreamingLanguageModel model = OpenAiStreamingLanguageModel.builder().baseUrl(base()).apiKey("sk-test")
                .modelName("tiny").temperature(0.0).build();
        StringBuilder pieces = new StringBuilder();
        List<String> parts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Response<String>> done = new CompletableFuture<>();
        model.generate("jihg", new StreamingResponseHandler<String>() {
            @Override
            public void onNext(String token) {
                parts.add(token);
                pieces.append(token);
            }

            @Override
            public void onComplete(Response<String> response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        done.get(60, TimeUnit.SECONDS);
        String expected = tiny.generate(GenerationRequest.builder().prompt("jihg").maxTokens(16).greedy().build()).text();
        assertThat(pieces.toString()).isEqualTo(expected);
        assertThat(parts.size()).as("streamed, not sent at the end").isGreaterThan(1);
    }

    @Test
    void chat_uses_the_recorded_template_streamed_or_not() throws Exception {
        String expected = tiny.generate(GenerationRequest.builder().prompt("abc").maxTokens(12).greedy().build()).text();
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base()).apiKey("sk-test").modelName("tiny")
                .temperature(0.0).maxTokens(12).build();
        assertThat(chat.chat("abc")).isEqualTo(expected);

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base()).apiKey("sk-test")
                .modelName("tiny").temperature(0.0).maxTokens(12).build();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("abc", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        assertThat(done.get(60, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(expected);
        assertThat(pieces.toString()).isEqualTo(expected);
    }

    @Test
    void a_model_without_a_chat_template_is_refused_with_a_clear_error() {
        var r = ServerFixtures.post(server, "/v1/chat/completions",
                "{\"model\":\"minilm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer sk-test");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("does not generate");
    }
}
