package dev.conveyor.producer.http;

import java.util.Map;
import java.util.UUID;

/**
 * A request that cannot be served, with the HTTP status and the {@code {"error","detail"}} body
 * the client receives. Thrown by handlers; turned into a response in one place
 * ({@link JsonResponses#handleErrors}).
 */
public final class HttpError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String error;
    private final transient Map<String, String> headers;
    private final transient UUID taskId;

    public HttpError(int status, String error, String detail) {
        this(status, error, detail, Map.of());
    }

    public HttpError(int status, String error, String detail, Map<String, String> headers) {
        this(status, error, detail, headers, null);
    }

    /** @param taskId the task the failed request concerns, sent as {@code "id"} beside error and detail; or null */
    public HttpError(int status, String error, String detail, Map<String, String> headers, UUID taskId) {
        super(detail, null, false, false);
        this.status = status;
        this.error = error;
        this.headers = Map.copyOf(headers);
        this.taskId = taskId;
    }

    public int status() {
        return status;
    }

    /** Short, stable description of the kind of failure (e.g. {@code malformed body}). */
    public String error() {
        return error;
    }

    /** What exactly is wrong, naming the field or header. */
    public String detail() {
        return getMessage();
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The task the request concerns (e.g. an event Kafka did not confirm), or null. */
    public UUID taskId() {
        return taskId;
    }

    static HttpError badRequest(String error, String detail) {
        return new HttpError(400, error, detail);
    }

    static HttpError badHeader(String header, String why) {
        return new HttpError(400, "invalid header", header + ": " + why);
    }
}
