package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conveyor as separate processes, as deployed: a Kafka broker process, a PostgreSQL process,
 * {@code conveyor ingress}, two {@code conveyor worker}s and {@code conveyor scheduler}. 2,000
 * events are published while one worker is killed with SIGKILL; every task still ends in exactly
 * one terminal status and none is lost.
 */
class MultiProcessIT {

    private static final int EVENTS = 2000;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).destroy();
        }
        for (Process p : processes) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
        }
    }

    private Process spawn(Path dir, String name, CountDownLatch readyWhen, String readyText, String... args)
            throws Exception {
        return spawn(dir, name, Map.of(), readyWhen, readyText, args);
    }

    private Process spawn(Path dir, String name, Map<String, String> env, CountDownLatch readyWhen, String readyText,
            String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        processes.add(p);
        Path log = dir.resolve(name + ".log");
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.APPEND);
                    if (readyWhen != null && line.contains(readyText)) {
                        readyWhen.countDown();
                    }
                }
            } catch (Exception ignored) {
                // The process ended.
            }
        });
        return p;
    }

    private void awaitReady(CountDownLatch latch, String what, Path dir) throws Exception {
        if (!latch.await(90, TimeUnit.SECONDS)) {
            throw new AssertionError(what + " not ready within 90 s; see " + dir.resolve(what + ".log") + ":\n"
                    + (Files.exists(dir.resolve(what + ".log")) ? Files.readString(dir.resolve(what + ".log")) : ""));
        }
    }

    @Test
    void twoThousandEventsSurviveAWorkerKilledMidWay(@TempDir Path dir) throws Exception {
        int kafkaPort = EmbeddedKafkaBroker.freePort();
        int pgPort = EmbeddedKafkaBroker.freePort();
        int httpPort = EmbeddedKafkaBroker.freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String jdbc = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";

        CountDownLatch kafkaUp = new CountDownLatch(1);
        spawn(dir, "kafka", kafkaUp, "kafka ready", "dev.conveyor.embedded.Standalone", "kafka",
                dir.resolve("kafka-data").toString(), bootstrap);
        CountDownLatch pgUp = new CountDownLatch(1);
        spawn(dir, "postgres", pgUp, "postgres ready", "dev.conveyor.embedded.Standalone", "postgres",
                dir.resolve("pg-data").toString(), Integer.toString(pgPort));
        awaitReady(kafkaUp, "kafka", dir);
        awaitReady(pgUp, "postgres", dir);

        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, """
                http: { port: %d }
                kafka:
                  bootstrap: "%s"
                  client: { session.timeout.ms: "6000", heartbeat.interval.ms: "1500" }
                db: { url: "%s", user: postgres }
                topics: [ orders ]
                """.formatted(httpPort, bootstrap, jdbc));
        Properties admin = new Properties();
        admin.put("bootstrap.servers", bootstrap);
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic("orders", Optional.of(6), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }

        String main = "dev.conveyor.ops.Main";
        CountDownLatch migrated = new CountDownLatch(1);
        Process migrate = spawn(dir, "migrate", migrated, "migration(s) applied", main, "migrate", "--config",
                config.toString());
        assertThat(migrate.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(migrate.exitValue()).as(Files.readString(dir.resolve("migrate.log"))).isZero();

        CountDownLatch ingressUp = new CountDownLatch(1);
        spawn(dir, "ingress", ingressUp, "Ingress listening", main, "ingress", "--config", config.toString());
        CountDownLatch w1Up = new CountDownLatch(1);
        // Worker and scheduler processes serve /metrics and /health on http.port: one port each on this host.
        int worker2Port = EmbeddedKafkaBroker.freePort();
        Process worker1 = spawn(dir, "worker1", Map.of("CONVEYOR_HTTP_PORT", Integer.toString(EmbeddedKafkaBroker.freePort())),
                w1Up, "Worker started", main, "worker", "--examples", "--config", config.toString());
        CountDownLatch w2Up = new CountDownLatch(1);
        spawn(dir, "worker2", Map.of("CONVEYOR_HTTP_PORT", Integer.toString(worker2Port)), w2Up, "Worker started", main,
                "worker", "--examples", "--config", config.toString());
        CountDownLatch schedUp = new CountDownLatch(1);
        int schedulerPort = EmbeddedKafkaBroker.freePort();
        spawn(dir, "scheduler", Map.of("CONVEYOR_HTTP_PORT", Integer.toString(schedulerPort)), schedUp,
                "Scheduler started", main, "scheduler", "--config", config.toString());
        awaitReady(ingressUp, "ingress", dir);
        awaitReady(w1Up, "worker1", dir);
        awaitReady(w2Up, "worker2", dir);
        awaitReady(schedUp, "scheduler", dir);

        HttpClient http = HttpClient.newHttpClient();
        var ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

        // Publish over ~4 s and kill worker 1 with SIGKILL half-way.
        try (Publisher publisher = Publisher.connect(bootstrap)) {
            List<CompletableFuture<java.util.UUID>> sent = new ArrayList<>();
            for (int i = 0; i < EVENTS; i++) {
                sent.add(publisher.publish("orders", "{\"orderId\":\"o-" + i + "\",\"items\":[{\"sku\":\"A-1\",\"qty\":1}]}",
                        PublishOptions.builder().key("customer-" + (i % 50)).build()));
                if (i == EVENTS / 2) {
                    worker1.destroyForcibly(); // SIGKILL: no shutdown hook, no commit
                }
                if (i % 100 == 0) {
                    Thread.sleep(200);
                }
            }
            for (var f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        }

        try (Connection c = DriverManager.getConnection(jdbc, "postgres", "")) {
            Awaitility.await("all " + EVENTS + " tasks done").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> count(c, "select count(*) from tasks where status = 'done'") == EVENTS);
            assertThat(count(c, "select count(*) from tasks")).as("no task lost or invented").isEqualTo(EVENTS);
            assertThat(count(c, """
                    select count(*) from (select task_id from task_transitions
                     where to_status in ('done','failed','skipped','cancelled','dead')
                     group by task_id having count(*) <> 1) x""")).as("tasks with other than one terminal transition")
                    .isZero();
        }

        // Each role exposes its meters in Prometheus format.
        String workerMetrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker2Port
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(workerMetrics).contains("conveyor_worker_outcomes_total{", "status=\"done\"", "topic=\"orders\"",
                "conveyor_worker_pickup_seconds_bucket", "conveyor_worker_state_read_seconds_count", "conveyor_worker_lag{",
                "hikaricp_connections", "jvm_memory_used_bytes");
        String schedulerMetrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + schedulerPort
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(schedulerMetrics).contains("conveyor_scheduler_backlog", "conveyor_scheduler_lateness_seconds");
        var schedulerReady = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + schedulerPort
                + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(schedulerReady.statusCode()).as(schedulerReady.body()).isEqualTo(200);
        String ingressMetrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(ingressMetrics).contains("conveyor_http_server_requests_seconds_count{", "endpoint=\"/health\"");
    }

    @Test
    void rolesStartedBeforePostgresAndKafkaWaitReportNotReadyAndStartWhenTheyCome(@TempDir Path dir) throws Exception {
        int kafkaPort = EmbeddedKafkaBroker.freePort();
        int pgPort = EmbeddedKafkaBroker.freePort();
        int httpPort = EmbeddedKafkaBroker.freePort();
        int workerPort = EmbeddedKafkaBroker.freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String jdbc = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, """
                http: { port: %d }
                kafka: { bootstrap: "%s" }
                db: { url: "%s", user: postgres }
                topics: [ orders ]
                """.formatted(httpPort, bootstrap, jdbc));
        String main = "dev.conveyor.ops.Main";
        CountDownLatch ingressUp = new CountDownLatch(1);
        Process ingress = spawn(dir, "ingress", ingressUp, "Ingress listening", main, "ingress", "--config",
                config.toString());
        CountDownLatch workerUp = new CountDownLatch(1);
        Process worker = spawn(dir, "worker", Map.of("CONVEYOR_HTTP_PORT", Integer.toString(workerPort)), workerUp,
                "Worker started", main, "worker", "--examples", "--config", config.toString());

        HttpClient http = HttpClient.newHttpClient();
        for (int port : new int[] {httpPort, workerPort}) {
            awaitHealth(http, port, 503, "waiting for PostgreSQL at " + jdbc);
        }
        CountDownLatch pgUp = new CountDownLatch(1);
        spawn(dir, "postgres", pgUp, "postgres ready", "dev.conveyor.embedded.Standalone", "postgres",
                dir.resolve("pg-data").toString(), Integer.toString(pgPort));
        awaitReady(pgUp, "postgres", dir);
        for (int port : new int[] {httpPort, workerPort}) {
            awaitHealth(http, port, 503, "waiting for Kafka at " + bootstrap);
        }
        assertThat(ingress.isAlive()).as("the ingress still waits").isTrue();
        assertThat(worker.isAlive()).as("the worker still waits").isTrue();

        CountDownLatch kafkaUp = new CountDownLatch(1);
        spawn(dir, "kafka", kafkaUp, "kafka ready", "dev.conveyor.embedded.Standalone", "kafka",
                dir.resolve("kafka-data").toString(), bootstrap);
        awaitReady(kafkaUp, "kafka", dir);
        awaitReady(ingressUp, "ingress", dir);
        awaitReady(workerUp, "worker", dir);
        awaitHealth(http, httpPort, 200, "ready");
        awaitHealth(http, workerPort, 200, "ready");

        var accepted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/events/orders"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"o-1\",\"items\":[{\"sku\":\"A-1\",\"qty\":1}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        try (Connection c = DriverManager.getConnection(jdbc, "postgres", "")) {
            Awaitility.await("the event is done").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> count(c, "select count(*) from tasks where status = 'done'") == 1);
        }
    }

    /** Waits until {@code /health/ready} on {@code port} answers {@code status} with a body containing {@code text}. */
    private static void awaitHealth(HttpClient http, int port, int status, String text) {
        Awaitility.await("port " + port + " answers " + status + " with " + text).atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                    var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == status && r.body().contains(text);
                });
    }

    private static long count(Connection c, String sql) throws Exception {
        try (var s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
