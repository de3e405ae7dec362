package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.StatusModes;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The ingress in front of a lean topic: a task that may keep no row gets none at acceptance and a
 * {@code statusUrl} that says the topic is lean instead of a 404; once done it reads "done" from
 * {@code lean_done}; a task with an Idempotency-Key keeps its queued row as in full mode.
 */
@ConveyorIntegrationTest
class LeanAcceptanceIT {

    private static final HttpClient http = HttpClient.newHttpClient();

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> send(IngressServer s, HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder at(IngressServer s, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(30));
    }

    @Test
    void aLeanTaskHasNoRowAtAcceptanceAndItsStatusUrlSaysSoThenDone(TestKafka kafka, TestDatabase db) throws Exception {
        String clicks = kafka.createTopic("clicks", 1);
        String prefix = TestKafka.uniqueName("lean") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        StatusModes modes = new StatusModes(false, Map.of(clicks, true));
        try (Database database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "lean");
             IngressServer ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap()).port(0).topicPrefix(prefix)
                     .topics(Set.of(clicks)).statusModes(modes).build(), new IngressServer.Collaborators(database,
                     Clock.systemUTC()))) {
            HttpResponse<String> accepted = send(ingress, at(ingress, "/v1/events/" + clicks)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"page\":\"/\"}")).header("Content-Type", "application/json"));
            assertThat(accepted.statusCode()).isEqualTo(202);
            UUID id = UUID.fromString(json(accepted).path("id").asText());
            String statusUrl = json(accepted).path("statusUrl").asText();
            assertThat(statusUrl).isEqualTo("/v1/tasks/" + id + "?topic=" + clicks);
            assertThat(db.dsl().fetchExists(db.dsl().selectOne().from("tasks").where("id = ?", id))).isFalse();

            HttpResponse<String> waiting = send(ingress, at(ingress, statusUrl).GET());
            assertThat(waiting.statusCode()).as(waiting.body()).isEqualTo(200);
            assertThat(json(waiting).path("lean").asBoolean()).isTrue();
            assertThat(json(waiting).path("status").isNull()).isTrue();
            assertThat(json(waiting).path("detail").asText()).contains("is lean", "waiting in Kafka");
            assertThat(send(ingress, at(ingress, "/v1/tasks/" + id).GET()).statusCode())
                    .as("without the topic nothing says it is lean").isEqualTo(404);

            HttpResponse<String> keyed = send(ingress, at(ingress, "/v1/events/" + clicks)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
                    .header("Idempotency-Key", "lean-k-1"));
            String keyedUrl = json(keyed).path("statusUrl").asText();
            assertThat(keyedUrl).doesNotContain("?topic");
            assertThat(json(send(ingress, at(ingress, keyedUrl).GET())).path("status").asText()).isEqualTo("queued");

            BackgroundExtension done = new BackgroundExtension() {
                @Override
                public Set<String> topics() {
                    return Set.of(clicks);
                }

                @Override
                public TaskResult handle(Task task) {
                    return TaskResult.done();
                }
            };
            try (Worker worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix)
                    .group(TestKafka.uniqueName("lw")).node("lean-worker").statusModes(modes).build(),
                    new Worker.Collaborators(database.dsl(), Extensions.of(done)))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> json(send(ingress, at(ingress, statusUrl).GET()))
                        .path("status").asText().equals("done"));
                JsonNode finished = json(send(ingress, at(ingress, "/v1/tasks/" + id).GET()));
                assertThat(finished.path("lean").asBoolean()).isTrue();
                assertThat(finished.path("topic").asText()).isEqualTo(clicks);
                assertThat(finished.path("finishedAt").asText()).isNotEmpty();
                await().atMost(Duration.ofSeconds(30)).until(() -> json(send(ingress, at(ingress, keyedUrl).GET()))
                        .path("status").asText().equals("done"));
            }
        }
    }
}
