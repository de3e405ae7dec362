package dev.conveyor.chaos;

import dev.conveyor.chaos.extension.ChaosEcho;
import dev.conveyor.chaos.extension.ChaosTasks;
import dev.conveyor.chaos.extension.ExecutionLog;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Conveyor as deployed, every part its own process started here: a Kafka broker, PostgreSQL, two
 * ingress nodes, two workers and two schedulers. {@code worker-2} reaches PostgreSQL and Kafka only
 * through {@link TcpProxy}s (the broker advertises the Kafka proxy on a second listener), so the
 * suite can cut that one worker off. Roles run {@code dev.conveyor.ops.Main ROLE --config FILE} on this
 * JVM's classpath, which holds the suite's own extensions.
 */
final class Cluster implements AutoCloseable {

    static final List<String> ROLES = List.of("ingress-1", "ingress-2", "worker-1", "worker-2", "scheduler-1",
            "scheduler-2");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);
    /**
     * JVM options of every process the suite starts (override: CONVEYOR_CHAOS_JAVA_OPTS). Eight JVMs
     * share the machine: a modest heap, the serial collector and C1 only keep their start-up (and the
     * restarts the faults cause) from starving each other of CPU; none changes what the code does.
     */
    static final String DEFAULT_JAVA_OPTS = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    private final Path dir;
    private final String java;
    private final String classpath;
    private final List<String> jvmOptions;
    private final int kafkaPort = freePort();
    private final int kafkaProxiedPort = freePort();
    private final int controllerPort = freePort();
    private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
    private final Map<String, ManagedProcess> roles = new LinkedHashMap<>();
    private PostgresServer postgres;
    private ManagedProcess broker;
    private TcpProxy kafkaProxy;
    private TcpProxy dbProxy;
    private Path config;

    Cluster(Path dir) throws IOException {
        this.dir = dir;
        this.java = ProcessHandle.current().info().command().orElse("java");
        this.classpath = Optional.ofNullable(System.getenv("CONVEYOR_CHAOS_CLASSPATH"))
                .orElse(System.getProperty("java.class.path"));
        this.jvmOptions = List.of(Optional.ofNullable(System.getenv("CONVEYOR_CHAOS_JAVA_OPTS"))
                .orElse(DEFAULT_JAVA_OPTS).trim().split("\\s+"));
        for (String role : ROLES) {
            httpPorts.put(role, freePort());
        }
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    List<String> ingressUrls() {
        return List.of("http://127.0.0.1:" + httpPorts.get("ingress-1"), "http://127.0.0.1:" + httpPorts.get("ingress-2"));
    }

    ManagedProcess role(String name) {
        return roles.get(name);
    }

    ManagedProcess broker() {
        return broker;
    }

    PostgresServer postgres() {
        return postgres;
    }

    TcpProxy kafkaProxy() {
        return kafkaProxy;
    }

    TcpProxy dbProxy() {
        return dbProxy;
    }

    /** Starts everything and waits until every role said it is ready. */
    void start(Log log) throws Exception {
        postgres = PostgresServer.create(dir.resolve("pg"), freePort());
        int kafkaProxyPort = freePort();
        List<String> brokerCommand = javaCommandWith("-Xmx512m",
                "-Dlogback.configurationFile=dev/conveyor/chaos/broker-logback.xml", "dev.conveyor.embedded.Standalone", "kafka",
                dir.resolve("kafka").toString(), bootstrap(), "--controller-port", Integer.toString(controllerPort),
                "--listener", "PROXIED=" + kafkaProxiedPort + "@127.0.0.1:" + kafkaProxyPort);
        broker = new ManagedProcess("kafka", brokerCommand, Map.of(), dir, "kafka ready");
        broker.start();
        postgres.start(Duration.ofSeconds(60));
        log.info("postgres ready at " + postgres.jdbcUrl() + " (pid " + postgres.process().pid() + ")");
        broker.awaitReady(Duration.ofSeconds(90));
        log.info("kafka ready at " + bootstrap() + " (pid " + broker.pid() + ")");
        kafkaProxy = new TcpProxy("worker-2-kafka", kafkaProxyPort, kafkaProxiedPort);
        dbProxy = new TcpProxy("worker-2-db", 0, postgres.port());
        createTopics();
        config = writeConfig();

        for (String role : ROLES) {
            roles.put(role, roleProcess(role));
        }
        for (ManagedProcess p : roles.values()) {
            p.start();
        }
        for (ManagedProcess p : roles.values()) {
            p.awaitReady(START_TIMEOUT);
            log.info(p.name() + " ready (pid " + p.pid() + ")");
        }
    }

    private ManagedProcess roleProcess(String name) {
        String kind = name.substring(0, name.indexOf('-'));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONVEYOR_HTTP_PORT", Integer.toString(httpPorts.get(name)));
        if (kind.equals("worker")) {
            env.put(ExecutionLog.DIR_ENV, dir.resolve("executions").toString());
        }
        if (name.equals("worker-2")) {
            env.put("CONVEYOR_DB_URL", "jdbc:postgresql://127.0.0.1:" + dbProxy.port() + "/postgres");
            env.put("CONVEYOR_KAFKA_BOOTSTRAP", "127.0.0.1:" + kafkaProxy.port());
        }
        String ready = switch (kind) {
            case "ingress" -> "Ingress listening";
            case "worker" -> "Worker started";
            default -> "Scheduler started";
        };
        List<String> command = javaCommand(null, "dev.conveyor.ops.Main", kind, "--config", config.toString());
        if (kind.equals("worker")) {
            command.addAll(List.of("--extensions", dir.resolve("extensions").toString()));
        }
        return new ManagedProcess(name, command, env, dir, ready);
    }

    private List<String> javaCommand(String heap, String main, String... args) {
        return javaCommandWith(heap, null, main, args);
    }

    private List<String> javaCommandWith(String heap, String property, String main, String... args) {
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(jvmOptions);
        if (heap != null) {
            c.add(heap);
        }
        if (property != null) {
            c.add(property);
        }
        c.add("-cp");
        c.add(classpath);
        c.add(main);
        c.addAll(List.of(args));
        return c;
    }

    private void createTopics() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap());
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(ChaosTasks.TOPIC, Optional.of(6), Optional.empty()),
                    new NewTopic(ChaosEcho.TOPIC, Optional.of(2), Optional.empty()))).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Product defaults everywhere (Kafka client and group settings included, so recovery times are
     * what users get), except what makes the test mix finish in seconds: a 1 s reschedule floor and
     * a 1 s first backoff; and callbacks may reach the suite's receiver on 127.0.0.1.
     */
    private Path writeConfig() throws IOException {
        Path file = dir.resolve("conveyor.yaml");
        Files.createDirectories(dir.resolve("extensions"));
        Files.writeString(file, """
                # Written by the chaos suite. Roles get http.port from CONVEYOR_HTTP_PORT; worker-2 gets db.url and
                # kafka.bootstrap from CONVEYOR_DB_URL / CONVEYOR_KAFKA_BOOTSTRAP (the suite's proxies).
                http: { host: 127.0.0.1 }
                kafka: { bootstrap: "%s" }
                db: { url: "%s", user: postgres, password: "" }
                topics: [ %s, %s ]
                worker:
                  reschedule-floor: 1s
                  backoff: { initial: 1s, max: 5s, multiplier: 2, jitter: 0.2 }
                callbacks: { allow-private-networks: true }
                """.formatted(bootstrap(), postgres.jdbcUrl(), ChaosTasks.TOPIC, ChaosEcho.TOPIC));
        return file;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Stops everything if the suite itself is stopped (Ctrl-C, a test JVM ending) before {@link #close()}. */
    private final Thread onExit = new Thread(this::close, "chaos-cluster-stop");

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs close() too; closed makes it a no-op.
            }
        }
        for (ManagedProcess p : roles.values()) {
            p.term();
        }
        for (ManagedProcess p : roles.values()) {
            p.stop(Duration.ofSeconds(20));
        }
        if (broker != null) {
            broker.stop(Duration.ofSeconds(20));
        }
        if (postgres != null) {
            try {
                postgres.process().signal("INT"); // fast shutdown
            } catch (Exception ignored) {
                // stop() below kills it.
            }
            postgres.process().stop(Duration.ofSeconds(20));
        }
        if (kafkaProxy != null) {
            kafkaProxy.close();
        }
        if (dbProxy != null) {
            dbProxy.close();
        }
    }
}
