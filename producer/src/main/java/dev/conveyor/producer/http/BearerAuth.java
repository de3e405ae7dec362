package dev.conveyor.producer.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bearer tokens on {@code /v1/*} ({@code http.tokens}). Webhooks are exempt: they carry their
 * sender's signature instead. Registered before every {@code /v1} route; with no tokens configured
 * it registers nothing, so an open ingress pays nothing per request.
 */
final class BearerAuth implements HttpService {

    private final List<byte[]> tokens;

    BearerAuth(Set<String> tokens) {
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Override
    public void routing(HttpRules rules) {
        if (!tokens.isEmpty()) {
            rules.any("/v1/*", this::authenticate);
        }
    }

    private void authenticate(ServerRequest req, ServerResponse res) {
        check(req.path().path(), req.headers().first(HeaderNames.AUTHORIZATION).orElse(null));
        res.next();
    }

    /**
     * Lets a request to {@code path} with this {@code Authorization} header (null when absent) through.
     *
     * @throws HttpError 401 when a token is required and missing or unknown
     */
    void check(String path, String authorization) {
        if (tokens.isEmpty() || path.startsWith("/v1/webhooks/")) {
            return;
        }
        String auth = authorization == null ? "" : authorization;
        if (!auth.regionMatches(true, 0, "Bearer ", 0, 7) || !known(auth.substring(7).trim())) {
            throw new HttpError(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)",
                    Map.of("WWW-Authenticate", "Bearer"));
        }
    }

    /** Compares against every token in constant time, so the answer's timing tells nothing about them. */
    private boolean known(String token) {
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        boolean found = false;
        for (byte[] t : tokens) {
            found |= MessageDigest.isEqual(t, given);
        }
        return found;
    }
}
