package dev.conveyor.ops;

import dev.conveyor.store.db.Database;
import dev.conveyor.schema.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints of a process that runs no ingress ({@code conveyor worker},
 * {@code conveyor scheduler}): {@code GET /metrics} (Prometheus text), {@code /health/live} and
 * {@code /health/ready} (the database and Kafka answer; 503 naming what is down, or what start-up
 * still waits for), on {@code http.host:http.port}. Nothing else is served, so no token is needed.
 * The ingress role runs one only while it waits for its dependencies.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

    private final WebServer server;
    private final Admin admin;

    private ManagementServer(WebServer server, Admin admin) {
        this.server = server;
        this.admin = admin;
    }

    /**
     * @param notReadyBecause why the process is not ready yet (it waits for its dependencies, or is
     *     starting), or null once its roles run; while non-null {@code /health/ready} answers 503 with it
     * @param database the process's database once it is open (null before)
     */
    static ManagementServer start(String host, int port, String role, Supplier<String> notReadyBecause,
            Supplier<Database> database, Supplier<String> scrape, String bootstrap, Map<String, Object> kafkaClient) {
        Map<String, Object> props = new HashMap<>(kafkaClient);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
        Admin admin = Admin.create(props);
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
                            var body = Json.emptyObject().put("role", role);
                            String notReady = notReadyBecause.get();
                            if (notReady != null) {
                                body.put("status", "starting").put("detail", notReady);
                                json(res, 503, body.toString());
                                return;
                            }
                            boolean ok = true;
                            try {
                                database.get().dsl().selectOne().fetch();
                                body.put("database", "up");
                            } catch (RuntimeException e) {
                                ok = false;
                                body.put("database", "down: " + e.getMessage());
                            }
                            try {
                                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                                body.put("kafka", "up");
                            } catch (Exception e) {
                                ok = false;
                                body.put("kafka", "down: " + (e.getCause() != null ? e.getCause() : e));
                            }
                            body.put("status", ok ? "ready" : "not ready");
                            json(res, ok ? 200 : 503, body.toString());
                        })
                        // A starting ingress serves only this server: its API answers 503 (retry) until the
                        // ingress runs, never 404, which a client takes for "unknown topic" and gives up.
                        .any("/v1/*", (req, res) -> {
                            if (!role.equals("ingress")) {
                                res.next();
                                return;
                            }
                            String notReady = notReadyBecause.get();
                            res.header(HeaderNames.create("Retry-After"), "1");
                            json(res, 503, Json.emptyObject().put("error", "unavailable").put("detail",
                                    "the ingress is starting" + (notReady == null ? "" : ": " + notReady)).toString());
                        }))
                .build()
                .start();
        log.info("{} metrics and health on http://{}:{}/metrics", role, host, server.port());
        return new ManagementServer(server, admin);
    }

    public int port() {
        return server.port();
    }

    private static void json(ServerResponse res, int status, String body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
