package dev.conveyor.ops;

import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.producer.http.IngressServer;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor dev}: everything in one process on embedded infrastructure. Data lives in
 * {@code --data-dir} (default {@code ./.conveyor}) between runs.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Run everything in one process: an embedded Kafka broker and PostgreSQL (unless db.url is set), "
                + "migrations, ingress, worker with the example extensions and --extensions jars, and the scheduler.")
final class DevCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(DevCommand.class);

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".conveyor",
            description = "Where Kafka and PostgreSQL keep their data between runs (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--extensions", paramLabel = "DIR", defaultValue = "extensions",
            description = "Directory of extension jars to load besides the examples (default: ${DEFAULT-VALUE}).")
    Path extensionsDir;

    @Option(names = "--fresh", description = "Delete the data directory first.")
    boolean fresh;

    /** Counted down when dev mode is up (for tests driving the CLI in-process). */
    static volatile CountDownLatch ready = new CountDownLatch(1);
    /** The ingress URL of the running dev mode (for tests). */
    static volatile java.net.URI httpUri;
    /** Counted down to stop dev mode without a signal (for tests). */
    static volatile CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        ConveyorConfig c = config.load();
        if (fresh) {
            deleteRecursively(dataDir);
        }
        Files.createDirectories(dataDir);
        String[] kafkaHostPort = c.bootstrap().split(":");
        String taken = portTaken(kafkaHostPort[0], Integer.parseInt(kafkaHostPort[1]), "Kafka", "kafka.bootstrap",
                "CONVEYOR_KAFKA_BOOTSTRAP=" + kafkaHostPort[0] + ":19092");
        var http = c.ingress(Set.of());
        if (taken == null) {
            taken = portTaken(http.host(), http.port(), "HTTP", "http.port", "CONVEYOR_HTTP_PORT=18080");
        }
        if (taken != null) {
            System.err.println(taken);
            return 2;
        }
        Node node = new Node();
        Thread hook = new Thread(() -> {
            long s0 = System.nanoTime();
            log.info("Stopping conveyor dev: ingress, scheduler, worker, then PostgreSQL and Kafka...");
            node.close();
            log.info("Conveyor dev stopped ({} ms)", Duration.ofNanos(System.nanoTime() - s0).toMillis());
        }, "conveyor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            String[] hostPort = c.bootstrap().split(":");
            EmbeddedKafkaBroker broker = node.own(EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), hostPort[0],
                    Integer.parseInt(hostPort[1])));
            DbConfig db;
            if (c.dbUrlGiven()) {
                db = c.db();
            } else {
                EmbeddedPostgres pg = node.own(EmbeddedPostgres.builder()
                        .setDataDirectory(dataDir.resolve("pg"))
                        .setCleanDataDirectory(false)
                        // Stopped by the node, after the roles that write to it, not by a hook of its own.
                        .setRegisterShutdownHook(false)
                        .start());
                db = c.db(pg.getJdbcUrl("postgres", "postgres"), "postgres");
            }
            node.database(c, db);
            Extensions extensions = node.extensions(extensionsDir);
            Set<String> topics = new LinkedHashSet<>(c.topics());
            topics.addAll(extensions.topics());
            node.ensureTopics(c, topics, Optional.of(4)); // once, for every role of the process
            node.worker(c);
            node.scheduler(c, demoSchedules(c, topics));
            boolean demoWebhook = !c.hasWebhooks() && topics.contains("orders");
            IngressServer ingress = node.ingress(c, extensions.topics(), demoWebhook
                    ? java.util.Map.of("demo", WebhookSource.of("demo", WebhookSource.Scheme.STANDARD_WEBHOOKS,
                            DEMO_WEBHOOK_SECRET, "orders"))
                    : java.util.Map.of());
            banner(System.out, ingress, broker.bootstrap(), db.url(), topics,
                    Duration.ofNanos(System.nanoTime() - t0), demoWebhook);
            httpUri = ingress.baseUri();
            ready.countDown();
            stop.await();
            return 0;
        } finally {
            node.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // Already shutting down: the hook is running.
            }
        }
    }

    /**
     * Null when {@code host:port} can be bound now; else what to tell the user: which port, what for,
     * and the key or variable that moves it (a broker that cannot bind otherwise fails deep in Kafka
     * with "Received a fatal error while waiting for all of the SocketServer Acceptors to be started").
     */
    static String portTaken(String host, int port, String what, String key, String example) {
        if (port == 0) {
            return null;
        }
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(host, port));
            return null;
        } catch (IOException e) {
            return "conveyor dev: port " + port + " on " + host + " (" + what + ") is already in use (" + e.getMessage()
                    + "). Stop what uses it (another conveyor dev?) or choose another port with " + key
                    + " in conveyor.yaml or the environment, e.g. " + example + " ops/bin/conveyor dev";
        }
    }

    /** Dev mode fires the example report every minute unless schedules are configured. */
    private static List<ScheduleDefinition> demoSchedules(ConveyorConfig c, Set<String> topics) {
        if (!c.schedules().isEmpty() || !topics.contains("reports")) {
            return List.of();
        }
        return List.of(ScheduleDefinition.every("demo-report", Duration.ofMinutes(1), "reports", "{\"kind\":\"demo\"}"));
    }

    /** The demo webhook source's secret (dev mode only; printed, so not a secret). */
    static final String DEMO_WEBHOOK_SECRET = "whsec_" + java.util.Base64.getEncoder()
            .encodeToString("conveyor-dev-demo-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    private static void banner(PrintStream out, IngressServer ingress, String bootstrap, String jdbc, Set<String> topics,
            Duration took, boolean demoWebhook) {
        String http = ingress.baseUri().toString();
        out.println();
        out.println("Conveyor dev is ready (" + took.toMillis() + " ms)");
        out.println("  HTTP            " + http);
        out.println("  Kafka bootstrap " + bootstrap);
        out.println("  JDBC            " + jdbc);
        out.println("  Dashboard       " + http + "/ui/");
        out.println("  Metrics         " + http + "/metrics");
        out.println("  Topics          " + topics);
        out.println();
        out.println("Try:");
        out.println("  curl -s -X POST " + http + "/v1/events/orders -H 'Content-Type: application/json' \\");
        out.println("       -d '{\"orderId\":\"o-1\",\"items\":[{\"sku\":\"A-1\",\"qty\":2}]}'");
        out.println("  curl -s " + http + "/v1/tasks/<id from the answer above>");
        out.println("  curl -s '" + http + "/v1/tasks?status=done&limit=5'");
        out.println("  ops/bin/conveyor stats --url " + http);
        out.println("  curl -s -X POST " + http + "/v1/interactive/quotes -H 'Content-Type: application/json' \\");
        out.println("       -d '{\"sku\":\"B-2\",\"qty\":2}'");
        out.println("  curl -s -X POST " + http + "/v1/events/orders -H 'Content-Type: application/json' \\");
        out.println("       -H 'X-Schedule-In: 10' -d '{\"orderId\":\"o-2\",\"items\":[{\"sku\":\"A-1\",\"qty\":1}]}'");
        if (demoWebhook) {
            String hexKey = java.util.HexFormat.of().formatHex(java.util.Base64.getDecoder()
                    .decode(DEMO_WEBHOOK_SECRET.substring(6)));
            out.println("  # a Standard Webhooks request to the demo source (secret " + DEMO_WEBHOOK_SECRET + "):");
            out.println("  id=msg_$RANDOM; ts=$(date +%s); body='{\"invoice\":42}'; sig=$(printf '%s' \"$id.$ts.$body\" | \\");
            out.println("    openssl dgst -sha256 -mac HMAC -macopt hexkey:" + hexKey + " -binary | base64)");
            out.println("  curl -s -X POST " + http + "/v1/webhooks/demo -H 'Content-Type: application/json' \\");
            out.println("       -H \"webhook-id: $id\" -H \"webhook-timestamp: $ts\" -H \"webhook-signature: v1,$sig\" -d \"$body\"");
        }
        out.println();
        out.println("Ctrl-C stops it; the data in .conveyor/ is kept for the next start (--fresh wipes it).");
        out.flush();
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
