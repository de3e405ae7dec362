package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.EXTENSION_CONFIGS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.awaitility.Awaitility;
import org.jooq.JSONB;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** onFinish, interactive replies, the trace channel and extension configs. */
@ConveyorIntegrationTest
class WorkerFeaturesIT {

    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void onFinishSeesTheDurableOutcome() throws Exception {
        String topic = fx.kafka.createTopic("finish", 1);
        CompletableFuture<TaskStatus> statusSeenInOnFinish = new CompletableFuture<>();
        CompletableFuture<TaskResult> resultSeen = new CompletableFuture<>();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) {
                return TaskResult.skip("nothing to do");
            }

            @Override
            public void onFinish(Task task, TaskResult result) {
                // The row must already say skipped when the hook runs.
                statusSeenInOnFinish.complete(fx.row(task.id()).getStatus());
                resultSeen.complete(result);
                throw new IllegalStateException("hooks may throw; the outcome stands");
            }
        };
        fx.start(fx.config().build(), ext);
        Task task = fx.publish(fx.task(topic, "{}"));
        assertThat(statusSeenInOnFinish.get(30, TimeUnit.SECONDS)).isEqualTo(TaskStatus.SKIPPED);
        assertThat(resultSeen.get()).isEqualTo(TaskResult.skip("nothing to do"));
        assertThat(fx.row(task.id()).getStatus()).isEqualTo(TaskStatus.SKIPPED);
    }

    @Test
    void interactiveResultIsProducedToTheReplyTopic() throws Exception {
        String topic = fx.kafka.createTopic("quotes", 1);
        String replies = fx.kafka.createTopic("replies", 1);
        InteractiveExtension quote = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public InteractiveResult handle(Task task) {
                if (task.json().path("sku").isMissingNode()) {
                    throw new IllegalArgumentException("sku is required");
                }
                return InteractiveResult.done(201, Map.of("X-Quote", "q-1"), Map.of("price", 12.5));
            }
        };
        fx.start(fx.config().build(), quote);
        assertThat(fx.db.dsl().fetchValue("select kind from topic_kinds where topic = ?", topic))
                .as("written at start, for ingress nodes in other processes").isEqualTo("interactive");
        Task ok = fx.publish(fx.task(topic, "{\"sku\":\"A\"}").toBuilder().kind(TaskKind.INTERACTIVE)
                .replyTo(replies).deadline(Instant.now().plusSeconds(30)).build());
        Task bad = fx.publish(fx.task(topic, "{}").toBuilder().kind(TaskKind.INTERACTIVE).replyTo(replies).build());

        List<ConsumerRecord<byte[], byte[]>> records = read(replies, 2);
        Map<String, InteractiveResult> byTask = new java.util.HashMap<>();
        for (var r : records) {
            byTask.put(new String(r.headers().lastHeader("conveyor_task_id").value(), StandardCharsets.UTF_8),
                    JsonCodec.interactiveResult(Json.parse(r.value())));
        }
        InteractiveResult answer = byTask.get(ok.id().toString());
        assertThat(answer.httpStatus()).isEqualTo(201);
        assertThat(answer.headers()).containsEntry("X-Quote", "q-1");
        assertThat(((JsonNode) answer.body()).path("price").asDouble()).isEqualTo(12.5);
        assertThat(fx.awaitStatus(ok.id(), TaskStatus.DONE).getKind()).isEqualTo(TaskKind.INTERACTIVE);

        InteractiveResult error = byTask.get(bad.id().toString());
        assertThat(error.httpStatus()).isEqualTo(500);
        assertThat(error.output()).isEqualTo("sku is required");
        // Interactive tasks are not retried: the caller is waiting.
        assertThat(fx.awaitStatus(bad.id(), TaskStatus.FAILED).getOutput()).isEqualTo("sku is required");
    }

    @Test
    void everyTransitionOfATracedTaskIsPublished() throws Exception {
        String topic = fx.kafka.createTopic("traced", 1);
        fx.start(fx.config().build(), new WorkerResultsIT.ByPayload(topic));
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"done\"}").toBuilder().traceId("trace-42").build());
        fx.awaitStatus(task.id(), TaskStatus.DONE);
        List<ConsumerRecord<byte[], byte[]>> trace = read(fx.prefix + "trace", 2);
        JsonNode running = Json.parse(trace.get(0).value());
        JsonNode done = Json.parse(trace.get(1).value());
        assertThat(new String(trace.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("trace-42");
        assertThat(running.path("taskId").asText()).isEqualTo(task.id().toString());
        assertThat(running.path("traceId").asText()).isEqualTo("trace-42");
        assertThat(running.path("to").asText()).isEqualTo("running");
        assertThat(done.path("from").asText()).isEqualTo("running");
        assertThat(done.path("to").asText()).isEqualTo("done");
        assertThat(done.path("attempt").asInt()).isEqualTo(1);
        assertThat(done.path("node").asText()).isEqualTo("test-node");
        assertThat(Instant.parse(done.path("at").asText())).isNotNull();
    }

    @Test
    void extensionConfigIsSeededFromDefaultsAndRefreshedOnChange() throws Exception {
        String topic = fx.kafka.createTopic("configured", 1);
        List<JsonNode> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public String name() {
                return "configured-" + topic;
            }

            @Override
            public Map<String, Object> defaultConfig() {
                return Map.of("limit", 3, "region", "eu");
            }

            @Override
            public TaskResult handle(Task task) {
                seen.add(task.config());
                return TaskResult.done();
            }
        };
        fx.start(fx.config().configRefresh(Duration.ofMillis(200)).build(), ext);
        Task first = fx.publish(fx.task(topic, "{}"));
        fx.awaitStatus(first.id(), TaskStatus.DONE);
        assertThat(seen.get(0).path("limit").asInt()).isEqualTo(3);
        assertThat(seen.get(0).path("region").asText()).isEqualTo("eu");

        fx.db.dsl().update(EXTENSION_CONFIGS)
                .set(EXTENSION_CONFIGS.CONFIG, JSONB.valueOf("{\"limit\": 10, \"region\": \"us\"}"))
                .set(EXTENSION_CONFIGS.VERSION, EXTENSION_CONFIGS.VERSION.plus(1))
                .where(EXTENSION_CONFIGS.EXTENSION.eq("configured-" + topic))
                .execute();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            Task next = fx.publish(fx.task(topic, "{}"));
            fx.awaitStatus(next.id(), TaskStatus.DONE);
            return seen.getLast().path("limit").asInt() == 10;
        });
        assertThat(seen.getLast().path("region").asText()).isEqualTo("us");

        // An operator's plain UPDATE of config, version left alone: the trigger raises it (V12).
        fx.db.dsl().execute("update extension_configs set config = config || '{\"limit\": 20}' where extension = ?",
                "configured-" + topic);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            Task next = fx.publish(fx.task(topic, "{}"));
            fx.awaitStatus(next.id(), TaskStatus.DONE);
            return seen.getLast().path("limit").asInt() == 20;
        });
    }

    private List<ConsumerRecord<byte[], byte[]>> read(String topic, int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(fx.kafka.consumerProperties(TestKafka.uniqueName("r")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).hasSize(count);
        return out;
    }
}
