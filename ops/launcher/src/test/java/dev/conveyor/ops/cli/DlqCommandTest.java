package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.ops.Main;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DlqCommandTest {

    private static final TaskRecordCodec CODEC = new TaskRecordCodec();
    private static final Instant AT = Instant.parse("2026-11-22T19:59:58.123Z");

    /** The dead letter the worker writes for {@code original}, read back from the DLQ at {@code partition:offset}. */
    private static DeadLetter dead(ProducerRecord<byte[], byte[]> original, long originalOffset, String reason,
            int partition, long offset) {
        ConsumerRecord<byte[], byte[]> consumed = new ConsumerRecord<>(original.topic(), 0, originalOffset,
                AT.toEpochMilli(), TimestampType.CREATE_TIME, -1, -1, original.key(), original.value(),
                original.headers(), Optional.empty());
        ProducerRecord<byte[], byte[]> letter = DeadLetters.of(consumed, reason, AT, "conveyor.dlq");
        return new DeadLetter(new ConsumerRecord<>("conveyor.dlq", partition, offset, AT.toEpochMilli(),
                TimestampType.CREATE_TIME, -1, -1, letter.key(), letter.value(), letter.headers(), Optional.empty()));
    }

    private static ProducerRecord<byte[], byte[]> plain(String topic, byte[] value) {
        return new ProducerRecord<>(topic, null, "k".getBytes(StandardCharsets.UTF_8), value, new RecordHeaders());
    }

    @Test
    void replayGoesToTheOriginalTopicWithTheOriginalRecordAndNoDlqHeaders() {
        Task task = Task.builder().topic("orders").key("k-1").payload("{\"a\":1}", "application/json").build();
        ProducerRecord<byte[], byte[]> original = CODEC.encode(task);
        DeadLetter d = dead(original, 41, "no extension handles topic orders", 1, 7);

        ProducerRecord<byte[], byte[]> replay = d.replay();
        assertThat(replay.topic()).isEqualTo("orders");
        assertThat(replay.partition()).isNull();
        assertThat(replay.key()).isEqualTo(original.key());
        assertThat(replay.value()).isEqualTo(original.value());
        assertThat(List.of(replay.headers().toArray())).extracting(Header::key)
                .containsExactlyElementsOf(List.of(original.headers().toArray()).stream().map(Header::key).toList())
                .noneMatch(k -> k.startsWith("conveyor_dlq_"));
        assertThat(d.coordinates()).isEqualTo("1:7");
        assertThat(d.origin()).isEqualTo("orders-0@41");
        assertThat(d.eventId()).isEqualTo(task.id().toString());
        assertThat(d.reason()).isEqualTo("no extension handles topic orders");
    }

    @Test
    void aRecordWithoutItsTopicHeaderCannotBeReplayed() {
        DeadLetter d = new DeadLetter(new ConsumerRecord<>("conveyor.dlq", 0, 3L, null, new byte[] {1}));
        assertThat(d.origin()).isEqualTo("?-?@?");
        assertThatThrownBy(d::replay).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("DLQ record 0:3 has no conveyor_dlq_topic header");
    }

    @Test
    void aCloudEventKeepsItsTaskIdWhereverItIsAPlainRecordDoesNot() {
        Task task = Task.builder().topic("orders").payload("{}", "application/json").build();
        DeadLetter event = dead(CODEC.encode(task), 5, "r", 0, 0);
        assertThat(event.taskId(CODEC)).contains(task.id());
        assertThat(event.hasStableTaskId(CODEC)).isTrue();
        assertThat(event.hasId(task.id().toString(), CODEC)).isTrue();
        assertThat(event.hasId(UUID.randomUUID().toString(), CODEC)).isFalse();

        DeadLetter plain = dead(plain("orders", "{}".getBytes(StandardCharsets.UTF_8)), 5, "r", 0, 1);
        UUID derived = plain.taskId(CODEC).orElseThrow();
        assertThat(plain.hasStableTaskId(CODEC)).isFalse();
        assertThat(plain.eventId()).isNull();
        assertThat(plain.hasId(derived.toString(), CODEC)).isTrue();
    }

    @Test
    void jsonHasCoordinatesHeadersAndTheValueAsTextOrBase64() {
        DeadLetter text = dead(plain("orders", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)), 9, "boom", 2, 11);
        JsonNode json = text.toJson();
        assertThat(json.path("dlqTopic").asText()).isEqualTo("conveyor.dlq");
        assertThat(json.path("dlqPartition").asInt()).isEqualTo(2);
        assertThat(json.path("dlqOffset").asLong()).isEqualTo(11);
        assertThat(json.path("time").asText()).isEqualTo("2026-11-22T19:59:58.123Z");
        assertThat(json.path("topic").asText()).isEqualTo("orders");
        assertThat(json.path("partition").asInt()).isZero();
        assertThat(json.path("offset").asLong()).isEqualTo(9);
        assertThat(json.path("reason").asText()).isEqualTo("boom");
        assertThat(json.path("key").asText()).isEqualTo("k");
        assertThat(json.path("value").asText()).isEqualTo("{\"a\":1}");
        assertThat(json.path("headers").path("conveyor_dlq_topic").asText()).isEqualTo("orders");

        DeadLetter binary = dead(plain("orders", new byte[] {(byte) 0xff, 0, 1}), 9, "boom", 0, 0);
        JsonNode b = binary.toJson();
        assertThat(b.has("value")).isFalse();
        assertThat(b.path("valueBase64").asText()).isEqualTo("/wAB");
    }

    @Test
    void theTableHasOneLineARecordAndCutsLongReasons() {
        Task task = Task.builder().topic("orders").payload("{}", "application/json").build();
        String reason = "line one\nline two " + "x".repeat(100);
        String table = DlqCommand.table(List.of(dead(CODEC.encode(task), 3, reason, 0, 12),
                dead(plain("quotes", new byte[0]), 4, "ce_id is missing", 1, 0)));
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("DLQ +TIME +ORIGIN +ID +REASON");
        assertThat(lines.get(1)).startsWith("0:12  2026-11-22T19:59:58Z  orders-0@3  " + task.id() + "  line one line two")
                .endsWith("…");
        assertThat(lines.get(1).substring(lines.get(1).indexOf("line one"))).hasSize(DlqCommand.REASON_WIDTH);
        assertThat(lines.get(2)).startsWith("1:0 ").contains("quotes-0@4").contains("  -  ").endsWith("ce_id is missing");
    }

    @Test
    void dlqOffsetsArePartitionColonOffset() {
        assertThat(DlqCommand.Coordinates.parse(" 2:42 ")).isEqualTo(new DlqCommand.Coordinates(2, 42));
        for (String bad : List.of("42", "a:1", "1:", ":1", "-1:2", "1:2:3")) {
            assertThatThrownBy(() -> DlqCommand.Coordinates.parse(bad)).as(bad)
                    .hasMessageStartingWith("--dlq-offset must be PARTITION:OFFSET");
        }
    }

    @Test
    void theReaderStopsAtTheEndOffsetsTakenAtStartAndFilters() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
        String topic = "conveyor.dlq";
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, node, null, null),
                new PartitionInfo(topic, 1, node, null, null)));
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        consumer.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L));
        consumer.updateEndOffsets(Map.of(p0, 2L, p1, 1L));
        consumer.schedulePollTask(() -> {
            consumer.addRecord(letter(topic, 0, 0, "a", 3));
            consumer.addRecord(letter(topic, 0, 1, "b", 1));
            consumer.addRecord(letter(topic, 1, 0, "a", 2));
            consumer.addRecord(letter(topic, 1, 1, "a", 4)); // written after the read started
        });
        List<DeadLetter> read = new DeadLetterReader(consumer, Duration.ofSeconds(5))
                .read(topic, null, d -> "a".equals(d.originalTopic()));
        // Oldest first across partitions; 1:1 is past the end offset captured at start.
        assertThat(read).extracting(DeadLetter::coordinates).containsExactly("1:0", "0:0");
    }

    @Test
    void anEmptyOrMissingTopicReadsNothing() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
        assertThat(new DeadLetterReader(consumer, Duration.ofSeconds(1)).read("conveyor.dlq", null, d -> true)).isEmpty();
    }

    private static ConsumerRecord<byte[], byte[]> letter(String topic, int partition, long offset, String origin,
            long time) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetters.TOPIC, origin.getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>(topic, partition, offset, time, TimestampType.CREATE_TIME, -1, -1, null,
                new byte[0], headers, Optional.empty());
    }

    // ---- options -------------------------------------------------------------------------------

    private static int run(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void replayNeedsExactlyOneSelection() {
        StringWriter none = new StringWriter();
        assertThat(run(none, "dlq", "replay")).isEqualTo(ExitCodes.USAGE);
        assertThat(none.toString()).contains("Missing required argument");
        StringWriter two = new StringWriter();
        assertThat(run(two, "dlq", "replay", "--all", "--id", "x")).isEqualTo(ExitCodes.USAGE);
        assertThat(two.toString()).contains("mutually exclusive");
    }

    @Test
    void badValuesAreUsageErrorsBeforeKafkaIsAsked() {
        StringWriter offset = new StringWriter();
        assertThat(run(offset, "dlq", "replay", "--dlq-offset", "12")).isEqualTo(ExitCodes.USAGE);
        assertThat(offset.toString()).contains("--dlq-offset must be PARTITION:OFFSET");
        StringWriter since = new StringWriter();
        assertThat(run(since, "dlq", "list", "--since", "soon")).isEqualTo(ExitCodes.USAGE);
        assertThat(since.toString()).contains("--since must be an RFC 3339 time");
        StringWriter missing = new StringWriter();
        assertThat(run(missing, "dlq")).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.toString()).contains("Missing subcommand: list or replay");
    }

    @Test
    void helpDocumentsTheExitCodes() {
        String help = new CommandLine(new Main()).getSubcommands().get("dlq").getSubcommands().get("replay")
                .getUsageMessage();
        assertThat(help).contains("Exit codes:").contains("--dry-run").contains("--dlq-offset=P:O")
                .contains("3   a requested --dlq-offset or --id is not in the DLQ")
                .contains("records whose cause was fixed");
    }
}
