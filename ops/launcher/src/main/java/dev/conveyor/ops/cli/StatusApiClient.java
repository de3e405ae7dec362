package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.PayloadFormatException;
import dev.conveyor.schema.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A small client of the status API ({@code docs/status-api.md}): one method per HTTP verb the
 * CLI uses, answers as Jackson trees. Every failure, whether the API answered 4xx/5xx or could
 * not be reached, becomes an {@link ApiException} carrying the CLI's exit code.
 */
final class StatusApiClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final Endpoint endpoint;
    private final HttpClient http;

    StatusApiClient(Endpoint endpoint) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** {@code GET pathAndQuery}, e.g. {@code /v1/tasks?status=failed}. */
    JsonNode get(String pathAndQuery) {
        return send("GET", pathAndQuery, request(pathAndQuery).GET());
    }

    /** {@code POST path} with an empty body (the operator actions take none). */
    JsonNode post(String path) {
        return send("POST", path, request(path).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint.baseUrl() + pathAndQuery))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json")
                .header("User-Agent", "conveyor-cli");
        if (endpoint.token() != null) {
            b.header("Authorization", "Bearer " + endpoint.token());
        }
        return b;
    }

    private JsonNode send(String method, String pathAndQuery, HttpRequest.Builder request) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw ApiException.unavailable("unreachable", "no connection to " + endpoint.baseUrl() + " within "
                    + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw ApiException.unavailable("timeout", endpoint.baseUrl() + " did not answer " + method + " "
                    + pathOnly(pathAndQuery) + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            String why = reason(e);
            throw ApiException.unavailable("unreachable", "cannot connect to " + endpoint.baseUrl() + " ("
                    + (why.equals("ConnectException") ? "connection refused" : why)
                    + "); is the ingress running there? (--url, CONVEYOR_URL)");
        } catch (IOException e) {
            throw ApiException.unavailable("unreachable", method + " " + endpoint.baseUrl() + pathOnly(pathAndQuery)
                    + " failed: " + reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ExitCodes.INTERNAL, 0, "interrupted", method + " " + pathOnly(pathAndQuery));
        }
        return answer(method, pathOnly(pathAndQuery), response.statusCode(), response.body());
    }

    /** The body of a 2xx answer as JSON, or the {@link ApiException} for any other status. */
    static JsonNode answer(String method, String path, int status, byte[] body) {
        JsonNode json = null;
        try {
            json = body == null || body.length == 0 ? null : Json.parse(body);
        } catch (PayloadFormatException e) {
            // Not JSON: a proxy's error page, or not a Conveyor ingress. Reported below.
        }
        if (status >= 200 && status < 300) {
            if (json == null) {
                throw new ApiException(ExitCodes.INTERNAL, status, "bad answer", method + " " + path + " answered "
                        + status + " without a JSON body");
            }
            return json;
        }
        int exit = ExitCodes.forHttpStatus(status);
        if (json != null && json.hasNonNull("error")) {
            throw new ApiException(exit, status, json.get("error").asText(), json.path("detail").asText(null));
        }
        String text = body == null ? "" : new String(body, StandardCharsets.UTF_8).strip();
        String firstLine = text.lines().findFirst().orElse("");
        throw new ApiException(exit, status, "HTTP " + status, method + " " + path
                + (firstLine.isEmpty() ? "" : ": " + Table.truncate(firstLine, 200)));
    }

    private static String pathOnly(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }

    /** The most telling message of an I/O failure (the HTTP client often leaves its own empty). */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }
}
