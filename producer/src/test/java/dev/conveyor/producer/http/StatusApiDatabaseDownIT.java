package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a client polling {@code statusUrl} sees while PostgreSQL cannot be reached (docs/getting-started.md, "Task
 * lifecycle"): a 503 {@code unavailable} JSON error with {@code Retry-After}, not a 500, and the
 * task again once the database is back. The ingress reaches PostgreSQL through a TCP forwarder
 * that the test closes and opens again.
 */
@ConveyorIntegrationTest
class StatusApiDatabaseDownIT {

    private static final Pattern HOST_PORT = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?(/.*)");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void getStatusUrlAnswers503WhileTheDatabaseIsDownAndTheTaskOnceItIsBack(TestKafka kafka, TestDatabase db)
            throws Exception {
        Matcher url = HOST_PORT.matcher(db.jdbcUrl());
        assertThat(url.matches()).as(db.jdbcUrl()).isTrue();
        String topic = kafka.createTopic("db-down", 1);
        String prefix = TestKafka.uniqueName("dbdown") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        try (Forwarder forwarder = new Forwarder(new InetSocketAddress(url.group(1),
                url.group(2) == null ? 5432 : Integer.parseInt(url.group(2))));
                Database database = Database.open(new DbConfig("jdbc:postgresql://127.0.0.1:" + forwarder.port()
                        + url.group(3), db.user(), db.password(), 2, db.schema()), "db-down-it");
                IngressServer ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap()).port(0)
                        .topicPrefix(prefix).topics(Set.of(topic)).build(),
                        new IngressServer.Collaborators(database, Clock.systemUTC()))) {
            Task task = Task.builder().topic(topic).payload("{}", "application/json")
                    .createdAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).build();
            new JooqStatusStore(db.dsl(), "db-down-it").recordQueued(List.of(StatusChange.accepted(task, "accepted")));
            String statusUrl = "/v1/tasks/" + task.id();
            assertThat(get(ingress, statusUrl).statusCode()).isEqualTo(200);

            forwarder.stop();
            HttpResponse<String> down = get(ingress, statusUrl);
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            assertThat(down.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
            JsonNode error = json(down);
            assertThat(error.get("error").asText()).isEqualTo("unavailable");
            assertThat(error.get("detail").asText()).isEqualTo("the status database is not reachable; try again later");
            // That request failed fast on the pooled connection that broke. The next one waits for a
            // new connection up to the pool's connection timeout (HikariCP's default, 30 s), then 503.
            long started = System.nanoTime();
            HttpResponse<String> waited = get(ingress, statusUrl);
            assertThat(waited.statusCode()).as(waited.body()).isEqualTo(503);
            assertThat(json(waited).get("error").asText()).isEqualTo("unavailable");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(45));

            forwarder.start();
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> get(ingress, statusUrl).statusCode() == 200);
            assertThat(json(get(ingress, statusUrl)).get("status").asText()).isEqualTo("queued");
        }
    }

    private HttpResponse<String> get(IngressServer ingress, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(ingress.baseUri().resolve(path)).timeout(Duration.ofSeconds(60)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Forwards TCP connections from a loopback port to {@code upstream}. {@link #stop} closes the
     * port and cuts every connection (the database is gone, as far as the client can tell);
     * {@link #start} listens on the same port again.
     */
    private static final class Forwarder implements AutoCloseable {

        private final InetSocketAddress upstream;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final int port;
        private volatile ServerSocket server;

        Forwarder(InetSocketAddress upstream) throws IOException {
            this.upstream = upstream;
            this.server = listen(0);
            this.port = server.getLocalPort();
            accept(server);
        }

        int port() {
            return port;
        }

        void stop() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
            sockets.clear();
        }

        void start() throws IOException {
            server = listen(port);
            accept(server);
        }

        private static ServerSocket listen(int port) throws IOException {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return s;
        }

        private void accept(ServerSocket listening) {
            Thread.ofVirtual().start(() -> {
                while (!listening.isClosed()) {
                    try {
                        Socket client = listening.accept();
                        Socket db = new Socket(upstream.getAddress(), upstream.getPort());
                        sockets.add(client);
                        sockets.add(db);
                        pipe(client, db);
                        pipe(db, client);
                    } catch (IOException e) {
                        // closed by stop(), or the upstream refused: the client sees its connection drop
                    }
                }
            });
        }

        private static void pipe(Socket from, Socket to) {
            Thread.ofVirtual().start(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // a side closed: close the other
                }
                try {
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            });
        }

        @Override
        public void close() throws IOException {
            stop();
        }
    }
}
