package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.producer.webhooks.WebhookSetup;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Authentication, back-pressure, Kafka outages and webhook set-up failures. */
@ConveyorIntegrationTest
class IngressLimitsIT {

    private Database database;
    private TestKafka kafka;
    private final HttpClient http = HttpClient.newHttpClient();

    /** A set-up step that always fails, for the source named "failing-setup" only. */
    public static final class FailingSetup implements WebhookSetup {
        @Override
        public String source() {
            return "failing-setup";
        }

        @Override
        public void setUp(WebhookSource source, URI webhookUrl) {
            throw new IllegalStateException("sender refused registration of " + webhookUrl);
        }
    }

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        this.kafka = kafka;
        this.database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "limits");
    }

    @AfterEach
    void tearDown() {
        database.close();
    }

    private IngressServer start(IngressConfig.Builder b) {
        return IngressServer.start(b.port(0).build(), new IngressServer.Collaborators(database, Clock.systemUTC()));
    }

    private HttpResponse<String> post(IngressServer s, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.baseUri().resolve(path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anInteractiveRequestToATopicKnownToBeBackgroundIsRefusedAtOnce() throws Exception {
        String topic = kafka.createTopic("kinds", 1);
        try (IngressServer s = start(IngressConfig.builder(kafka.bootstrap()).topics(Set.of(topic))
                .topicKinds(Map.of(topic, "background")))) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = post(s, "/v1/interactive/" + topic);
            assertThat(r.statusCode()).isEqualTo(409);
            assertThat(r.body()).contains("not an interactive topic", "background extension", "/v1/events/" + topic);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not after the interactive timeout")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(post(s, "/v1/events/" + topic).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void aStandaloneIngressLearnsTheKindsFromWhatTheWorkersWrote() throws Exception {
        String topic = kafka.createTopic("kinds-db", 1);
        database.dsl().execute("insert into topic_kinds (topic, kind, extension) values (?, 'scheduled', 'Report')", topic);
        try (IngressServer s = start(IngressConfig.builder(kafka.bootstrap()).topics(Set.of(topic)))) {
            HttpResponse<String> r = post(s, "/v1/interactive/" + topic);
            assertThat(r.statusCode()).isEqualTo(409);
            assertThat(r.body()).contains("scheduled extension");
        }
    }

    @Test
    void bearerTokensGuardTheApi() throws Exception {
        String topic = kafka.createTopic("auth", 1);
        try (IngressServer s = start(IngressConfig.builder(kafka.bootstrap()).topics(Set.of(topic))
                .tokens(Set.of("s3cret")))) {
            HttpResponse<String> none = post(s, "/v1/events/" + topic);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.body()).contains("\"error\":\"unauthorized\"");
            assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
            assertThat(post(s, "/v1/events/" + topic, "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
            assertThat(post(s, "/v1/events/" + topic, "Authorization", "Bearer s3cret").statusCode()).isEqualTo(202);
        }
    }

    @Test
    void tooManyWaitingInteractiveRequestsGet429() throws Exception {
        String topic = kafka.createTopic("busy", 1);
        String prefix = TestKafka.uniqueName("lim") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        try (IngressServer s = start(IngressConfig.builder(kafka.bootstrap()).topics(Set.of(topic)).topicPrefix(prefix)
                .maxPendingInteractive(1).interactiveTimeout(Duration.ofSeconds(3)))) {
            // No worker answers: the first request waits, the second finds the queue full.
            CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return post(s, "/v1/interactive/" + topic);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1000);
            HttpResponse<String> second = post(s, "/v1/interactive/" + topic);
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(second.headers().firstValue("Retry-After")).contains("1");
            assertThat(first.get().statusCode()).isEqualTo(504);
        }
    }

    @Test
    void kafkaUnavailableMeans503AndNothingAccepted() throws Exception {
        try (IngressServer s = start(IngressConfig.builder("127.0.0.1:1").topics(Set.of("orders"))
                .kafkaClient(Map.of("max.block.ms", 1500, "delivery.timeout.ms", 3000, "request.timeout.ms", 1000)))) {
            HttpResponse<String> r = post(s, "/v1/events/orders", "Idempotency-Key", "k-1");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).contains("5");
            assertThat(r.body()).contains("nothing was enqueued");
            var ready = http.send(HttpRequest.newBuilder(s.baseUri().resolve("/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            // The key was released: once Kafka is back, the client's retry with the same key is accepted.
            assertThat(database.dsl().fetchCount(dev.conveyor.store.db.jooq.Tables.IDEMPOTENCY_KEYS)).isZero();
        }
    }

    @Test
    void aFailingWebhookSetUpStopsStartUpNamingTheSource() {
        String topic = "hooks";
        assertThatThrownBy(() -> start(IngressConfig.builder(kafka.bootstrap()).topics(Set.of(topic))
                .webhooks(Map.of("failing-setup", WebhookSource.of("failing-setup", WebhookSource.Scheme.GITHUB, "s",
                        topic)))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("webhook source 'failing-setup' set-up failed")
                .hasMessageContaining("sender refused registration");
    }
}
