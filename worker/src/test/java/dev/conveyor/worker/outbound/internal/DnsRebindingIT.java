package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.outbound.CallbackSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PrivateAddresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS rebinding against the SSRF rule: a name that resolves to a public address when checked and to
 * {@code 127.0.0.1} when connected to must never reach {@code 127.0.0.1}. Only loopback traffic:
 * {@code 127.0.0.2} plays the public address (the rule here refuses what {@link PrivateAddresses}
 * refuses, except {@code 127.0.0.2}), and an "attacker" receiver on {@code 127.0.0.1} at the same
 * port stands for the internal service. The URLs use {@code localhost}, which the system resolver
 * answers with {@code 127.0.0.1}: a client that looked the name up again on its own (the JDK
 * {@code HttpClient} did, after the check) would reach the attacker.
 */
@ConveyorIntegrationTest
class DnsRebindingIT {

    private static final InetAddress PUBLIC = address("127.0.0.2");
    private static final InetAddress INTERNAL = address("127.0.0.1");
    private static final Predicate<InetAddress> RULE = a -> !a.equals(PUBLIC) && PrivateAddresses.isPrivate(a);

    /** One request a receiver got. */
    record Received(String host, String webhookId) {}

    private TestDatabase db;
    private Database database;
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final List<Received> atChecked = new CopyOnWriteArrayList<>();
    private final List<Received> atInternal = new CopyOnWriteArrayList<>();
    /** How often the destination's name was resolved, and what it answers: the checked address once, then 127.0.0.1. */
    private final AtomicInteger lookups = new AtomicInteger();
    private final CheckedDns.Names rebinding = host -> new InetAddress[] {lookups.incrementAndGet() == 1 ? PUBLIC : INTERNAL};

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "rebinding");
        closeables.add(database);
        db.dsl().deleteFrom(OUTBOX).execute();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void theConnectionGoesToTheCheckedAddressNeverToASecondAnswer() throws Exception {
        HttpServer internal = receiver(HttpServer.create(new InetSocketAddress(INTERNAL, 0), 0), atInternal);
        int port = internal.getAddress().getPort();
        receiver(HttpServer.create(new InetSocketAddress(PUBLIC, port), 0), atChecked);
        OutboundSettings settings = settings();
        OutboxDelivery delivery = delivery(settings, rebinding, null);

        Task first = finish(settings, "http://localhost:" + port + "/cb");
        delivery.deliverDue();

        assertThat(row(first.id()).getState()).isEqualTo("delivered");
        assertThat(atChecked).containsExactly(new Received("localhost:" + port, first.id() + ".done"));
        assertThat(lookups).hasValue(1);

        // The receiver closes every connection, so the next delivery resolves the name again: now
        // it answers 127.0.0.1, which is refused before any connection is made.
        Task second = finish(settings, "http://localhost:" + port + "/cb");
        delivery.deliverDue();

        assertThat(lookups).hasValue(2);
        OutboxRecord refused = row(second.id());
        assertThat(refused.getState()).isEqualTo("failed");
        assertThat(refused.getAttempts()).isZero();
        assertThat(refused.getLastError()).startsWith("refused: private address 127.0.0.1 (localhost)");
        assertThat(atInternal).isEmpty();
        assertThat(atChecked).hasSize(1);
    }

    /**
     * Over https the pinned address changes nothing else: the certificate is verified against the
     * URL's host name (a certificate for another name is refused), SNI and {@code Host} carry it.
     */
    @Test
    void httpsIsVerifiedAgainstTheHostNameWhileConnectingToTheCheckedAddress(@TempDir Path dir) throws Exception {
        KeyStore keys = selfSigned(dir, "localhost");
        SSLContext serverTls = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        serverTls.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(PUBLIC, 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        receiver(server, atChecked);
        int port = server.getAddress().getPort();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("receiver", keys.getCertificate("receiver"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);

        OutboundSettings settings = settings();
        OutboxDelivery delivery = delivery(settings, host -> new InetAddress[] {PUBLIC}, clientTls);
        Task matching = finish(settings, "https://localhost:" + port + "/cb");
        Task otherName = finish(settings, "https://callbacks.example:" + port + "/cb");
        delivery.deliverDue();

        assertThat(row(matching.id()).getState()).isEqualTo("delivered");
        assertThat(atChecked).containsExactly(new Received("localhost:" + port, matching.id() + ".done"));
        OutboxRecord mismatch = row(otherName.id());
        assertThat(mismatch.getState()).isEqualTo("pending");
        assertThat(mismatch.getAttempts()).isEqualTo(1);
        assertThat(mismatch.getLastError()).containsIgnoringCase("ssl");
    }

    private OutboundSettings settings() {
        return new OutboundSettings(new CallbackSettings(null, 10, false), List.of(),
                new OutboundSettings.Tuning(Duration.ofMillis(20),
                        Backoff.exponential(Duration.ofMinutes(1), Duration.ofMinutes(1), 2.0, 0.0),
                        Duration.ofSeconds(5), Duration.ofSeconds(10), 50,
                        new CircuitBreakerSettings(100, 1000, Duration.ofSeconds(1))));
    }

    private OutboxDelivery delivery(OutboundSettings settings, CheckedDns.Names names, SSLContext tls) {
        OutboxDelivery d = new OutboxDelivery(database.dsl(), settings, Clock.systemUTC(), new SimpleMeterRegistry(),
                new OutboxDelivery.Network(names, RULE, tls));
        closeables.add(d::release);
        return d;
    }

    /** A task finished with a callback URL, as the worker records it: its outbox row is due now. */
    private Task finish(OutboundSettings settings, String callbackUrl) {
        Task t = Task.builder().topic("orders").payload("{}", "application/json").callbackUrl(callbackUrl).build();
        Instant now = Instant.now();
        NextStatus next = NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5);
        new JooqStatusStore(database.dsl(), "test", settings)
                .apply(List.of(StatusChange.finished(t, "ext", null, false, now, now, next, null, null)));
        return t;
    }

    private OutboxRecord row(UUID task) {
        return db.dsl().selectFrom(OUTBOX).where(OUTBOX.TASK_ID.eq(task)).and(OUTBOX.TARGET.eq("callback")).fetchOne();
    }

    /** Answers 200 and closes the connection, noting the Host header and webhook-id of each request. */
    private <S extends HttpServer> S receiver(S server, List<Received> into) {
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            into.add(new Received(exchange.getRequestHeaders().getFirst("Host"),
                    exchange.getRequestHeaders().getFirst("webhook-id")));
            exchange.getResponseHeaders().set("Connection", "close");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        closeables.add(() -> server.stop(0));
        return server;
    }

    /** A PKCS12 key store with a self-signed certificate for {@code name} (keytool of the running JDK). */
    private static KeyStore selfSigned(Path dir, String name) throws Exception {
        Path file = dir.resolve("receiver.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + name, "-ext", "SAN=dns:" + name, "-validity", "2",
                "-keystore", file.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as("keytool: %s", output).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, "changeit".toCharArray());
        }
        return ks;
    }

    private static InetAddress address(String literal) {
        return PrivateAddresses.literal(literal);
    }
}
