package dev.conveyor.ops.cli;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.ops.Main;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code conveyor dlq list|replay} in-process against a real broker and PostgreSQL: a worker
 * dead-letters a poison record and the record of a topic no extension owns; the CLI lists them;
 * a worker whose extension owns that topic is deployed (the fix) and the replayed task ends done.
 */
@ConveyorIntegrationTest
class DlqCliIT {

    /** Completes every task of its topics and remembers which ran. */
    static final class Completing implements BackgroundExtension {
        final Set<String> topics;
        final Map<UUID, Integer> runs = new ConcurrentHashMap<>();

        Completing(String... topics) {
            this.topics = Set.of(topics);
        }

        @Override
        public Set<String> topics() {
            return topics;
        }

        @Override
        public TaskResult handle(Task task) {
            runs.merge(task.id(), 1, Integer::sum);
            return TaskResult.done();
        }
    }

    record Run(int exit, String out, String err) {
        List<JsonNode> jsonLines() {
            return out.lines().map(l -> Json.parse(l.getBytes(StandardCharsets.UTF_8))).toList();
        }
    }

    private Path configFile;

    private Run conveyor(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--config", configFile.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void listsDeadLettersAndReplaysOneAfterTheFix(TestKafka kafka, TestDatabase db, @TempDir Path dir) throws Exception {
        String prefix = TestKafka.uniqueName("dlqcli") + ".";
        String dlq = prefix + "dlq";
        kafka.createTopicNamed(dlq, 2);
        String owned = kafka.createTopic("owned", 1);
        String orphan = kafka.createTopic("orphan", 1);
        configFile = dir.resolve("conveyor.yaml");
        Files.writeString(configFile, """
                kafka: { bootstrap: "%s", topic-prefix: "%s" }
                db: { url: "%s", user: "%s", password: "%s", schema: "%s" }
                """.formatted(kafka.bootstrap(), prefix, db.jdbcUrl(), db.user(), db.password(), db.schema()));
        String group = TestKafka.uniqueName("dlq-workers");
        WorkerConfig.Builder config = WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix).group(group)
                .node("dlq-it").shutdownGrace(Duration.ofSeconds(5));
        TaskRecordCodec codec = new TaskRecordCodec();
        Task lost = Task.builder().topic(orphan).key("k-1").payload("{\"order\":1}", "application/json").build();

        // 1. A worker for `owned` only, also subscribed to `orphan`: both bad records land in the DLQ.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            Worker first = Worker.start(config.subscribe(Set.of(orphan)).build(),
                    new Worker.Collaborators(db.dsl(), Extensions.of(new Completing(owned))));
            try {
                assertThat(first.awaitAssignment(Duration.ofSeconds(30))).isTrue();
                RecordHeaders noId = new RecordHeaders();
                noId.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
                noId.add("ce_source", "test".getBytes(StandardCharsets.UTF_8));
                noId.add("ce_type", "t".getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<byte[], byte[]>(owned, null, (byte[]) null, "x".getBytes(StandardCharsets.UTF_8), noId)).get();
                producer.send(codec.encode(lost)).get();
                awaitStatus(db, lost.id(), TaskStatus.DEAD);
                Awaitility.await("two dead letters").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .until(() -> conveyor("dlq", "list", "--json").out().lines().count() == 2);
            } finally {
                first.close();
            }
        }

        // 2. list: the table, the filters, JSON.
        Run list = conveyor("dlq", "list");
        assertThat(list.err()).isEmpty();
        assertThat(list.exit()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("DLQ +TIME +ORIGIN +ID +REASON");
        // DLQ coordinates depend on where the producer put each record: any partition, any offset.
        assertThat(list.out()).containsPattern("(?m)^\\d+:\\d+ +\\S+Z +" + owned + "-0@0 +- +ce_id is missing")
                .containsPattern("(?m)^\\d+:\\d+ +\\S+Z +" + orphan + "-0@0 +" + lost.id() + " +no extension handles topic "
                        + orphan + "$");
        assertThat(lines.get(3)).isEqualTo("2 dead letters.");

        Run byTopic = conveyor("dlq", "list", "--topic", orphan, "--json");
        assertThat(byTopic.exit()).isZero();
        List<JsonNode> records = byTopic.jsonLines();
        assertThat(records).hasSize(1);
        JsonNode lostLetter = records.get(0);
        assertThat(lostLetter.path("topic").asText()).isEqualTo(orphan);
        assertThat(lostLetter.path("offset").asLong()).isZero();
        assertThat(lostLetter.path("id").asText()).isEqualTo(lost.id().toString());
        assertThat(lostLetter.path("key").asText()).isEqualTo("k-1");
        assertThat(lostLetter.path("value").asText()).isEqualTo("{\"order\":1}");
        assertThat(lostLetter.path("headers").path("conveyor_dlq_reason").asText())
                .isEqualTo("no extension handles topic " + orphan);
        String coordinates = lostLetter.path("dlqPartition").asInt() + ":" + lostLetter.path("dlqOffset").asLong();

        assertThat(conveyor("dlq", "list", "--id", lost.id().toString()).out()).contains(lost.id().toString())
                .endsWith("1 dead letter.\n");
        assertThat(conveyor("dlq", "list", "--since", "1h", "--json").out().lines()).hasSize(2);
        assertThat(conveyor("dlq", "list", "--since", Instant.now().plusSeconds(3600).toString()).out())
                .isEqualTo("No dead letters match.\n");
        Run badSince = conveyor("dlq", "list", "--since", "yesterday");
        assertThat(badSince.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badSince.err()).contains("--since must be an RFC 3339 time");

        // 3. replay: a dry run produces nothing; an unknown coordinate is exit code 3.
        long orphanEnd = endOffset(kafka, orphan);
        Run dry = conveyor("dlq", "replay", "--id", lost.id().toString(), "--dry-run");
        assertThat(dry.err()).isEmpty();
        assertThat(dry.exit()).isZero();
        assertThat(dry.out()).isEqualTo("would replay " + coordinates + " -> " + orphan + " (task " + lost.id() + ")\n"
                + "Dry run: 1 dead letter would be replayed; nothing produced.\n");
        assertThat(endOffset(kafka, orphan)).isEqualTo(orphanEnd);
        assertThat(status(db, lost.id())).isEqualTo(TaskStatus.DEAD);

        Run unknown = conveyor("dlq", "replay", "--dlq-offset", "1:999," + coordinates);
        assertThat(unknown.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err()).isEqualTo("conveyor: not in the DLQ: 1:999; nothing replayed\n");
        assertThat(endOffset(kafka, orphan)).isEqualTo(orphanEnd);

        // 4. The fix: an extension owns `orphan` now. Replay; the task runs and ends done.
        Completing fixed = new Completing(owned, orphan);
        Worker second = Worker.start(config.subscribe(Set.of()).build(),
                new Worker.Collaborators(db.dsl(), Extensions.of(fixed)));
        try {
            assertThat(second.awaitAssignment(Duration.ofSeconds(30))).isTrue();
            Run replay = conveyor("dlq", "replay", "--id", lost.id().toString());
            assertThat(replay.err()).isEmpty();
            assertThat(replay.exit()).isZero();
            assertThat(replay.out()).isEqualTo("replayed " + coordinates + " -> " + orphan + "-0@" + orphanEnd
                    + " (task " + lost.id() + "), queued at attempt 2\nReplayed 1 of 1 dead letter.\n");
            awaitStatus(db, lost.id(), TaskStatus.DONE);
            assertThat(fixed.runs).containsEntry(lost.id(), 1);
            assertThat(db.dsl().select(TASK_TRANSITIONS.REASON).from(TASK_TRANSITIONS)
                    .where(TASK_TRANSITIONS.TASK_ID.eq(lost.id())).fetch(TASK_TRANSITIONS.REASON))
                    .contains("replayed from the DLQ (" + coordinates + ")");

            // Once done, the task is not replayed again.
            Run again = conveyor("dlq", "replay", "--dlq-offset", coordinates);
            assertThat(again.exit()).isEqualTo(ExitCodes.CONFLICT);
            assertThat(again.err()).startsWith("conveyor: refused " + coordinates + ": task " + lost.id() + " is done");
            assertThat(endOffset(kafka, orphan)).isEqualTo(orphanEnd + 1);
        } finally {
            second.close();
        }
    }

    private static long endOffset(TestKafka kafka, String topic) throws Exception {
        TopicPartition p = new TopicPartition(topic, 0);
        return kafka.admin().listOffsets(Map.of(p, OffsetSpec.latest())).partitionResult(p).get().offset();
    }

    private static TaskStatus status(TestDatabase db, UUID id) {
        return db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(id)).fetchOne(TASKS.STATUS);
    }

    private static void awaitStatus(TestDatabase db, UUID id, TaskStatus expected) {
        Awaitility.await("task " + id + " " + expected.wireName()).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50)).until(() -> status(db, id) == expected);
    }
}
