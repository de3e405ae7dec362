package dev.conveyor.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka broker running in this JVM: {@code KafkaRaftServer} in combined KRaft mode
 * (broker and controller in one node). {@link #start()} uses free loopback ports and a temporary
 * log directory removed on close (tests, benchmarks); {@link #start(Path, String, int)} keeps its
 * data in a directory between runs ({@code conveyor dev}). Starts in a few seconds.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private final KafkaRaftServer server;
    private final Path logDir;
    private final String bootstrap;
    private final boolean temporary;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path logDir, String bootstrap, boolean temporary) {
        this.server = server;
        this.logDir = logDir;
        this.bootstrap = bootstrap;
        this.temporary = temporary;
    }

    /** Formats a fresh temporary log directory and starts the broker on free loopback ports. */
    public static EmbeddedKafkaBroker start() {
        try {
            Path logDir = Files.createTempDirectory("conveyor-kafka-");
            return start(logDir, "127.0.0.1", freePort(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the embedded Kafka broker", e);
        }
    }

    /**
     * Starts a broker keeping its data in {@code dir} (formatted on first use, reused after),
     * listening at {@code host:port}.
     */
    public static EmbeddedKafkaBroker start(Path dir, String host, int port) {
        return start(dir, host, port, 0, List.of(), false);
    }

    /**
     * An extra plaintext listener: the broker binds {@code 127.0.0.1:port} and tells clients that
     * connected through it to reach it at {@code advertisedHost:advertisedPort} (for instance a TCP
     * proxy in front of it, so that a fault-injection test can cut one client off the broker).
     */
    public record Listener(String name, int port, String advertisedHost, int advertisedPort) {
        public Listener {
            if (!name.matches("[A-Z][A-Z0-9_]*") || name.equals("PLAINTEXT") || name.equals("CONTROLLER")) {
                throw new IllegalArgumentException("listener name must be upper case and not PLAINTEXT/CONTROLLER: " + name);
            }
        }

        /** Parses {@code NAME=PORT@HOST:PORT}. */
        public static Listener parse(String spec) {
            String[] nameRest = spec.split("=", 2);
            String[] bindAdvertised = nameRest.length == 2 ? nameRest[1].split("@", 2) : new String[0];
            int colon = bindAdvertised.length == 2 ? bindAdvertised[1].lastIndexOf(':') : -1;
            if (colon < 0) {
                throw new IllegalArgumentException("listener must look like NAME=PORT@HOST:PORT, was " + spec);
            }
            return new Listener(nameRest[0], Integer.parseInt(bindAdvertised[0]),
                    bindAdvertised[1].substring(0, colon), Integer.parseInt(bindAdvertised[1].substring(colon + 1)));
        }
    }

    /**
     * Like {@link #start(Path, String, int)}, with a fixed controller port (0: a free one) and extra
     * listeners. A fixed controller port keeps a restarted broker's KRaft quorum address stable.
     */
    public static EmbeddedKafkaBroker start(Path dir, String host, int port, int controllerPort, List<Listener> extra) {
        return start(dir, host, port, controllerPort, extra, false);
    }

    private static EmbeddedKafkaBroker start(Path logDir, String host, int brokerPort, boolean temporary) {
        return start(logDir, host, brokerPort, 0, List.of(), temporary);
    }

    private static EmbeddedKafkaBroker start(Path logDir, String host, int brokerPort, int fixedControllerPort,
            List<Listener> extra, boolean temporary) {
        try {
            Files.createDirectories(logDir);
            int controllerPort = fixedControllerPort > 0 ? fixedControllerPort : freePort();
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", "1");
            props.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
            StringBuilder listeners = new StringBuilder("PLAINTEXT://" + host + ":" + brokerPort + ",CONTROLLER://127.0.0.1:"
                    + controllerPort);
            StringBuilder advertised = new StringBuilder("PLAINTEXT://" + host + ":" + brokerPort);
            StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            for (Listener l : extra) {
                listeners.append(',').append(l.name()).append("://127.0.0.1:").append(l.port());
                advertised.append(',').append(l.name()).append("://").append(l.advertisedHost()).append(':')
                        .append(l.advertisedPort());
                protocols.append(',').append(l.name()).append(":PLAINTEXT");
            }
            props.put("listeners", listeners.toString());
            props.put("advertised.listeners", advertised.toString());
            props.put("controller.listener.names", "CONTROLLER");
            props.put("listener.security.protocol.map", protocols.toString());
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("log.dirs", logDir.resolve("data").toString());
            props.put("num.partitions", "1");
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "4");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "4");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("group.initial.rebalance.delay.ms", "0");
            props.put("auto.create.topics.enable", "true");
            props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));

            Path config = logDir.resolve("server.properties");
            try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                props.store(w, "conveyor test broker");
            }
            if (!Files.exists(logDir.resolve("data").resolve("meta.properties"))) {
                ByteArrayOutputStream formatOut = new ByteArrayOutputStream();
                try (PrintStream out = new PrintStream(formatOut, true, StandardCharsets.UTF_8)) {
                    StorageTool.execute(new String[] {
                            "format", "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--standalone"}, out);
                }
            }
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
            server.startup();
            return new EmbeddedKafkaBroker(server, logDir, host + ":" + brokerPort, temporary);
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the embedded Kafka broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded Kafka broker: " + e.getMessage(), e);
        }
    }

    /** {@code 127.0.0.1:port} of the PLAINTEXT listener. */
    public String bootstrap() {
        return bootstrap;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary) {
            deleteRecursively(logDir);
        }
    }

    /** A free TCP port on this machine (for tests; racy by nature). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless; the OS cleans it.
        }
    }
}
