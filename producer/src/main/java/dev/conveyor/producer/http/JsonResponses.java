package dev.conveyor.producer.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON answers, and the one place where failures become {@code {"error","detail"}} responses:
 * an {@link HttpError} as it says, Helidon's own (no route, bad request line) with its status, an
 * unreachable database as a 503 ({@link DatabaseUnavailable}), and anything else as a logged 500.
 */
final class JsonResponses {

    private static final Logger log = LoggerFactory.getLogger(JsonResponses.class);

    private JsonResponses() {}

    /** Registers the error handlers on the ingress's routing. */
    static void handleErrors(HttpRouting.Builder routing) {
        routing.error(HttpError.class, (req, res, e) -> sendError(res, e))
                .error(HttpException.class, (req, res, e) -> sendError(res, new HttpError(
                        e.status().code(), e.status().reasonPhrase().toLowerCase(Locale.ROOT),
                        e.status().code() == 404 ? "no such endpoint: " + req.prologue().method().text() + " "
                                + req.path().path() : e.getMessage())))
                .error(Exception.class, (req, res, e) -> {
                    if (DatabaseUnavailable.is(e)) {
                        log.warn("{} {}: the database is not reachable: {}", req.prologue().method().text(),
                                req.path().path(), e.getMessage());
                        sendError(res, DatabaseUnavailable.ANSWER);
                        return;
                    }
                    log.error("Unexpected failure serving {} {}", req.prologue().method().text(), req.path().path(), e);
                    sendError(res, new HttpError(500, "internal error", "the ingress failed; see its log"));
                });
    }

    /** A handler answering 405 with {@code Allow: allowed}. */
    static Handler methodNotAllowed(String allowed) {
        return (req, res) -> {
            throw new HttpError(405, "method not allowed", req.prologue().method().text() + " is not supported here; use "
                    + allowed, Map.of("Allow", allowed));
        };
    }

    static void sendError(ServerResponse res, HttpError e) {
        e.headers().forEach(res::header);
        var json = Json.emptyObject().put("error", e.error()).put("detail", e.detail());
        if (e.taskId() != null) {
            json.put("id", e.taskId().toString());
        }
        sendJson(res, e.status(), json);
    }

    static void sendJson(ServerResponse res, int status, ObjectNode json) {
        sendJson(res, status, Json.toBytes(json));
    }

    static void sendJson(ServerResponse res, int status, byte[] json) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json);
    }
}
