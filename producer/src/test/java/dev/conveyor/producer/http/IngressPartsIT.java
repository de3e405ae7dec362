package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** An ingress started from the process's parts: it uses their clock and meters, and leaves their producer open. */
@ConveyorIntegrationTest
class IngressPartsIT {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void usesThePartsItIsGivenAndClosesNoneOfThem(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.createTopic("parts", 1);
        String prefix = TestKafka.uniqueName("parts") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        IngressConfig config = IngressConfig.builder(kafka.bootstrap()).port(0).topicPrefix(prefix)
                .topics(Set.of(topic)).build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (Database database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()),
                        "parts");
                KafkaProducer<byte[], byte[]> producer = IngressProducer.create(config)) {
            IngressParts parts = new IngressParts(config, producer, database,
                    new JooqStatusStore(database.dsl(), config.node()), Clock.fixed(NOW, ZoneOffset.UTC), meters,
                    () -> "# metrics of the process\n");
            try (IngressServer ingress = IngressServer.start(parts)) {
                HttpResponse<String> scheduled = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                ingress.baseUri().resolve("/v1/events/" + topic))
                        .header("Content-Type", "application/json").header("X-Schedule-In", "60")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(scheduled.statusCode()).isEqualTo(202);
                JsonNode body = Json.parse(scheduled.body().getBytes());
                assertThat(body.path("deliverAt").asText()).isEqualTo(NOW.plusSeconds(60).toString());
                assertThat(meters.get("conveyor.ingress.accepted").tag("delayed", "true").counter().count()).isEqualTo(1);

                HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        ingress.baseUri().resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.body()).isEqualTo("# metrics of the process\n");
            }
            // The process still owns its producer: closing the ingress left it working.
            assertThat(producer.partitionsFor(topic)).hasSize(1);
        }
    }
}
