package dev.conveyor.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The trace and reply records as the worker writes them and other roles read them. */
class SideRecordCodecsTest {

    private static ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> r) {
        return new ConsumerRecord<>(r.topic(), 0, 0, 0L, TimestampType.CREATE_TIME, -1, -1, r.key(), r.value(),
                r.headers(), Optional.empty());
    }

    @Test
    void aTraceRecordRoundTrips() {
        var trace = new TraceRecords.Trace(UUID.randomUUID(), "tr-1", "orders", TaskStatus.RUNNING, TaskStatus.DONE,
                Instant.parse("2026-12-01T10:00:00.123Z"), 2, null, "node-a");
        ProducerRecord<byte[], byte[]> record = TraceRecords.of(trace, "conveyor.trace");
        assertThat(record.topic()).isEqualTo("conveyor.trace");
        assertThat(new String(record.key())).isEqualTo("tr-1");
        assertThat(Json.parse(record.value()).get("to").asText()).isEqualTo("done");
        assertThat(TraceRecords.read(consumed(record))).isEqualTo(trace);
    }

    @Test
    void aTraceOfATaskWithoutARowHasNoFrom() {
        var trace = new TraceRecords.Trace(UUID.randomUUID(), "tr-2", "orders", null, TaskStatus.RUNNING,
                Instant.parse("2026-12-01T10:00:00Z"), 1, "why", "n");
        ProducerRecord<byte[], byte[]> record = TraceRecords.of(trace, "trace");
        assertThat(Json.parse(record.value()).get("from").isNull()).isTrue();
        assertThat(TraceRecords.read(consumed(record))).isEqualTo(trace);
    }

    @Test
    void aReplyNamesItsTaskAndCarriesTheAnswer() {
        Task task = Task.builder().topic("lookups").payload("{}", "application/json").replyTo("replies-1").build();
        ProducerRecord<byte[], byte[]> record = ReplyRecords.of(task,
                InteractiveResult.done(201, Map.of(), Map.of("ok", true)));
        assertThat(record.topic()).isEqualTo("replies-1");
        assertThat(ReplyRecords.taskId(consumed(record))).isEqualTo(task.id());
        assertThat(new String(record.headers().lastHeader("content-type").value())).isEqualTo("application/json");
        assertThat(Json.parse(record.value()).toString()).contains("201");
    }

    @Test
    void aReplyWithoutATaskIdNamesNone() {
        ProducerRecord<byte[], byte[]> bare = new ProducerRecord<>("r", new byte[0]);
        assertThat(ReplyRecords.taskId(consumed(bare))).isNull();
    }
}
