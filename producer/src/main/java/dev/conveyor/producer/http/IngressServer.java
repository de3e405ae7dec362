package dev.conveyor.producer.http;

import dev.conveyor.store.db.Database;
import io.helidon.webserver.WebServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP ingress (SPEC §4): starts and stops a Helidon SE 4 web server with the ingress's
 * services ({@link IngressServices}: events, interactive, webhooks, the status API, health). Every
 * request runs on its own virtual thread, so handlers are plain blocking code; every failure is an
 * {@link HttpError} turned into {@code {"error","detail"}} in one place ({@link JsonResponses}); an
 * event is acknowledged only after Kafka acknowledged it and its {@code queued} row was written
 * ({@link dev.conveyor.producer.AcceptedTasks}; given up on after one second when the database
 * does not answer).
 *
 * <p>Two ways to start it: from {@link IngressParts} (the process made the Kafka producer and owns
 * it), or from {@link IngressConfig} and {@link Collaborators} (the ingress makes its producer with
 * {@link IngressProducer} and closes it).
 */
public final class IngressServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngressServer.class);

    /**
     * What the ingress needs from its process when it makes its own Kafka producer.
     *
     * @param database the process pool (idempotency keys, readiness)
     * @param clock time source
     * @param meters where {@code conveyor.ingress.*} and {@code conveyor.http.*} meters go
     * @param prometheus the process's metrics in Prometheus text format, served at {@code GET /metrics};
     *     null when the process has no Prometheus registry
     */
    public record Collaborators(Database database, Clock clock, MeterRegistry meters, Supplier<String> prometheus) {
        public Collaborators {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(meters, "meters");
        }

        /** Without metrics: meters go to a registry nobody reads and {@code GET /metrics} answers 404. */
        public Collaborators(Database database, Clock clock) {
            this(database, clock, new SimpleMeterRegistry(), null);
        }
    }

    private final IngressConfig config;
    private final IngressServices services;
    private final WebServer server;
    /** Closes the Kafka producer when the ingress made it; does nothing when the process owns it. */
    private final AutoCloseable ownProducer;

    private IngressServer(IngressConfig config, IngressServices services, WebServer server, AutoCloseable ownProducer) {
        this.config = config;
        this.services = services;
        this.server = server;
        this.ownProducer = ownProducer;
    }

    /**
     * Starts the ingress with a Kafka producer of its own, closed with it.
     *
     * @throws IllegalStateException naming the webhook source whose set-up failed
     */
    public static IngressServer start(IngressConfig config, Collaborators collaborators) {
        KafkaProducer<byte[], byte[]> producer = IngressProducer.create(config);
        return start(IngressParts.of(config, producer, collaborators), () -> producer.close(Duration.ofSeconds(5)));
    }

    /**
     * Starts the ingress on the process's parts, which it does not close.
     *
     * @throws IllegalStateException naming the webhook source whose set-up failed
     */
    public static IngressServer start(IngressParts parts) {
        return start(parts, () -> { });
    }

    /** Wires the services, listens, then runs the webhook sources' set-up steps. */
    private static IngressServer start(IngressParts parts, AutoCloseable ownProducer) {
        IngressConfig config = parts.config();
        IngressServices services = null;
        IngressServer s;
        try {
            services = IngressServices.wire(parts);
            WebServer server = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    // http.max-body is enforced by RequestLimits, which answers 413 with a JSON body.
                    .routing(services::routing)
                    .build()
                    .start();
            s = new IngressServer(config, services, server, ownProducer);
        } catch (RuntimeException e) {
            if (services != null) {
                services.close();
            }
            closeQuietly(ownProducer);
            throw e;
        }
        try {
            services.webhooks().runSetups(s.baseUri());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        log.info("Ingress listening on http://{}:{} topics={} webhooks={} max-body={} auth={}", config.host(), s.port(),
                config.topics(), config.webhooks().keySet(), config.maxBody(), !config.tokens().isEmpty());
        return s;
    }

    public int port() {
        return server.port();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public URI baseUri() {
        return URI.create("http://" + config.host() + ":" + port());
    }

    @Override
    public void close() {
        server.stop();
        services.close();
        closeQuietly(ownProducer);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("Closing the ingress's Kafka producer failed: {}", e.toString());
        }
    }
}
