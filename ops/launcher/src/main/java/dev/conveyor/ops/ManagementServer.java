package dev.conveyor.ops;

import dev.conveyor.schema.db.Database;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints of a process that runs no ingress ({@code conveyor worker},
 * {@code conveyor scheduler}): {@code GET /metrics} (Prometheus text), {@code /health/live} and
 * {@code /health/ready} (the database answers), on {@code http.host:http.port}. Nothing else is
 * served, so no token is needed.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

    private final WebServer server;

    private ManagementServer(WebServer server) {
        this.server = server;
    }

    static ManagementServer start(String host, int port, String role, Database database, Supplier<String> scrape) {
        WebServer server = WebServer.builder()
                .host(host)
                .port(port)
                .routing(r -> r
                        .get("/metrics", (req, res) -> {
                            res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                            res.send(scrape.get().getBytes(StandardCharsets.UTF_8));
                        })
                        .get("/health/live", (req, res) -> json(res, 200, "{\"status\":\"up\",\"role\":\"" + role + "\"}"))
                        .get("/health/ready", (req, res) -> {
                            try {
                                database.dsl().selectOne().fetch();
                                json(res, 200, "{\"status\":\"ready\",\"role\":\"" + role + "\",\"database\":\"up\"}");
                            } catch (RuntimeException e) {
                                json(res, 503, dev.conveyor.schema.json.Json.emptyObject().put("status", "not ready")
                                        .put("role", role).put("database", "down: " + e.getMessage()).toString());
                            }
                        }))
                .build()
                .start();
        log.info("{} metrics and health on http://{}:{}/metrics", role, host, server.port());
        return new ManagementServer(server);
    }

    public int port() {
        return server.port();
    }

    private static void json(ServerResponse res, int status, String body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        server.stop();
    }
}
