package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.IDEMPOTENCY_KEYS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.producer.SilentBrokerProxy;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

/**
 * An event whose produce Kafka did not confirm (the broker wrote it, its answer never came back)
 * is not answered as a refusal: 503 with the task id and "may have been enqueued", and a retry with
 * the same Idempotency-Key is the same task, not a second one. Real broker behind a proxy that goes
 * silent, real PostgreSQL.
 */
@ConveyorIntegrationTest
class IngressUnconfirmedIT {

    private static final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anUnconfirmedEventIs503WithItsIdAndARetryWithTheSameKeyIsTheSameTask(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.createTopic("unconfirmed", 1);
        try (Database database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()),
                        "unconfirmed");
                SilentBrokerProxy proxy = new SilentBrokerProxy(kafka.bootstrap());
                IngressServer ingress = IngressServer.start(IngressConfig.builder(proxy.bootstrap())
                        .port(0).topics(Set.of(topic))
                        .kafkaClient(Map.of("delivery.timeout.ms", 3_000, "request.timeout.ms", 1_000,
                                "max.block.ms", 3_000))
                        .build(), new IngressServer.Collaborators(database, Clock.systemUTC()))) {
            HttpResponse<String> warm = post(ingress, topic, null);
            assertThat(warm.statusCode()).isEqualTo(202);
            String warmId = Json.parse(warm.body().getBytes(StandardCharsets.UTF_8)).path("id").asText();

            proxy.silent(true);
            HttpResponse<String> unconfirmed = post(ingress, topic, "order-42");

            assertThat(unconfirmed.statusCode()).isEqualTo(503);
            assertThat(unconfirmed.headers().firstValue("Retry-After")).isPresent();
            JsonNode body = Json.parse(unconfirmed.body().getBytes(StandardCharsets.UTF_8));
            assertThat(body.path("detail").asText()).isEqualTo(TaskEnqueuer.MAY_BE_ENQUEUED_EVENT)
                    .contains("may have been enqueued", "same Idempotency-Key");
            String id = body.path("id").asText();
            assertThat(id).isNotEmpty().isNotEqualTo(warmId);
            var key = database.dsl().selectFrom(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.KEY.eq("order-42")).fetchOne();
            assertThat(key.getState()).isEqualTo("unconfirmed");
            assertThat(key.getTaskId().toString()).isEqualTo(id);
            // The broker did write it: this is why the answer must not say "nothing was enqueued".
            assertThat(taskIds(kafka, topic, 2)).containsExactly(warmId, id);

            proxy.silent(false);
            HttpResponse<String> retried = post(ingress, topic, "order-42");
            assertThat(retried.statusCode()).isEqualTo(202);
            assertThat(Json.parse(retried.body().getBytes(StandardCharsets.UTF_8)).path("id").asText()).isEqualTo(id);
            HttpResponse<String> repeated = post(ingress, topic, "order-42");
            assertThat(repeated.statusCode()).isEqualTo(202);
            assertThat(repeated.headers().firstValue("Idempotent-Replayed")).contains("true");
            assertThat(Json.parse(repeated.body().getBytes(StandardCharsets.UTF_8)).path("id").asText()).isEqualTo(id);

            // Two records of one task (the unconfirmed one and its retry), never a second task.
            assertThat(taskIds(kafka, topic, 3)).containsExactly(warmId, id, id);
            assertThat(database.dsl().selectFrom(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.KEY.eq("order-42"))
                    .fetchOne().getState()).isEqualTo("accepted");
        }
    }

    private static HttpResponse<String> post(IngressServer ingress, String topic, String idempotencyKey)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/events/" + topic))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"42\"}"));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The task ids of the topic's records, read straight from the broker until {@code count} arrived (and 300 ms more). */
    private static List<String> taskIds(TestKafka kafka, String topic, int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("g")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        TaskRecordCodec codec = new TaskRecordCodec();
        return out.stream().map(r -> ((Decoded.Ok) codec.decode(r)).task().id().toString()).toList();
    }
}
