package dev.keel.server;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, with its HTTP
 * status: 400 bad request, 401 no or wrong API key, 404 unknown model or path, 405 wrong method, 413 too
 * large, 429 overloaded (with {@code Retry-After}), 503 draining, 500 anything else.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String code;
    final String param;
    final transient Map<String, String> headers;

    ApiException(int status, String type, String code, String param, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.headers = headers;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request_error", null, null, message, Map.of());
    }

    static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", null, param, message, Map.of());
    }

    static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", "invalid_api_key", null,
                "missing or incorrect API key; send it as 'Authorization: Bearer KEY' (keys come from the server's "
                        + "--api-keys file or KEEL_API_KEYS)", Map.of("WWW-Authenticate", "Bearer"));
    }

    static ApiException notFound(String code, String message) {
        return new ApiException(404, "invalid_request_error", code, null, message, Map.of());
    }

    static ApiException methodNotAllowed(String method, String path, String allowed) {
        return new ApiException(405, "invalid_request_error", "method_not_allowed", null,
                method + " " + path + " is not served; use " + allowed, Map.of("Allow", allowed));
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", "request_too_large", null, message, Map.of());
    }

    static ApiException overloaded(String model, int queue) {
        return new ApiException(429, "rate_limit_error", "overloaded", null, "model '" + model + "' has " + queue
                + " requests in flight, its queue limit (--max-queue); retry after a second", Map.of("Retry-After", "1"));
    }

    static ApiException draining() {
        return new ApiException(503, "server_error", "draining", null,
                "the server is shutting down and takes no new requests; retry on another replica",
                Map.of("Retry-After", "5", "Connection", "close"));
    }

    /** The API's answer to a failure thrown by the runtime or by a handler. */
    static ApiException of(Throwable e) {
        if (e instanceof ApiException api) {
            return api;
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof InvalidInputException) {
            return badRequest(message);
        }
        if (e instanceof UnsupportedCapabilityException) {
            return new ApiException(400, "invalid_request_error", "unsupported", null, message, Map.of());
        }
        if (e instanceof CancellationException) {
            return new ApiException(499, "invalid_request_error", "cancelled", null, message, Map.of());
        }
        return new ApiException(500, "server_error", null, null, e instanceof KeelException ? message
                : "internal error: " + message, Map.of());
    }
}
