package dev.conveyor.worker.recorder;

import static dev.conveyor.worker.recorder.TestRecords.encoded;
import static dev.conveyor.worker.recorder.TestRecords.plain;
import static dev.conveyor.worker.recorder.TestRecords.poll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusModes;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class AcceptedRecordsTest {

    private final AcceptedRecords all = new AcceptedRecords(new TaskRecordCodec(), StatusModes.FULL);

    @Test
    void aPlainRecordIsAcceptedUnderItsNameBasedIdWithWhereItWasRead() {
        PollBatch batch = all.select(poll(plain("clicks", 2, 40)), Map.of());
        assertThat(batch.accepted()).hasSize(1);
        StatusChange change = batch.accepted().getFirst();
        assertThat(change.id()).isEqualTo(TaskIds.forRecord("clicks", 2, 40));
        assertThat(change.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(change.transitions().getFirst().reason()).isEqualTo("recorded from clicks-2@40");
        assertThat(batch.timestamps()).containsExactly(TestRecords.TIMESTAMP);
        assertThat(batch.offsets()).isEqualTo(Map.of(new TopicPartition("clicks", 2), new OffsetAndMetadata(41)));
    }

    @Test
    void aCloudEventKeepsItsTaskId() {
        Task task = Task.builder().topic("orders").type("order.created").key("c-7").build();
        PollBatch batch = all.select(poll(encoded(task, 0, 3)), Map.of());
        assertThat(batch.accepted()).extracting(StatusChange::id).containsExactly(task.id());
    }

    @Test
    void redeliveriesAndUndecodableRecordsAreSkippedButCommitted() {
        Task first = Task.builder().topic("orders").type("t").build();
        Task second = Task.builder().topic("orders").type("t").attempt(2).build();
        ConsumerRecord<byte[], byte[]> due = encoded(Task.builder().topic("orders").type("t").build(), 0, 2);
        due.headers().add(ConveyorHeaders.NOT_BEFORE, "2026-12-02T10:00:00Z".getBytes(StandardCharsets.UTF_8));
        RecordHeaders broken = new RecordHeaders();
        broken.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8)); // no ce_id, ce_source, ce_type
        ConsumerRecord<byte[], byte[]> poison = TestRecords.consumed("orders", 0, 3, null, new byte[0], broken);

        PollBatch batch = all.select(poll(encoded(first, 0, 0), encoded(second, 0, 1), due, poison), Map.of());

        assertThat(batch.accepted()).extracting(StatusChange::id).containsExactly(first.id());
        assertThat(batch.timestamps()).hasSize(1);
        assertThat(batch.skippedFor(Skip.REDELIVERY)).isEqualTo(2);
        assertThat(batch.skippedFor(Skip.UNDECODABLE)).isEqualTo(1);
        assertThat(batch.offsets()).isEqualTo(Map.of(new TopicPartition("orders", 0), new OffsetAndMetadata(4)));
    }

    @Test
    void theTasksOfALeanTopicGetNoRowsUnlessTheyHaveACallbackOrAnIdempotencyKey() {
        AcceptedRecords leanClicks = new AcceptedRecords(new TaskRecordCodec(), new StatusModes(false, Map.of("clicks", true)));
        Task withKey = Task.builder().topic("clicks").type("click").idempotencyKey("k-1").build();
        PollBatch batch = leanClicks.select(poll(plain("orders", 0, 0), plain("clicks", 1, 5), encoded(withKey, 2, 7)),
                Map.of());
        assertThat(batch.accepted()).extracting(StatusChange::id).hasSize(2).contains(withKey.id());
        assertThat(batch.accepted()).extracting(StatusChange::topic).containsExactly("orders", "clicks");
        assertThat(batch.skippedFor(Skip.LEAN)).isEqualTo(1);
        assertThat(batch.offsets()).containsEntry(new TopicPartition("clicks", 1), new OffsetAndMetadata(6));
    }

    @Test
    void recordsBelowTheWorkersCommittedOffsetAreSkippedAsAheadAndCountInTheLag() {
        TopicPartition tp = new TopicPartition("clicks", 0);
        PollBatch batch = all.select(poll(plain("clicks", 0, 7), plain("clicks", 0, 8), plain("clicks", 0, 9),
                plain("clicks", 1, 2)), Map.of(tp, 9L, new TopicPartition("clicks", 1), 2L));
        assertThat(batch.accepted()).extracting(StatusChange::id)
                .containsExactly(TaskIds.forRecord("clicks", 0, 9), TaskIds.forRecord("clicks", 1, 2));
        assertThat(batch.skippedFor(Skip.WORKERS_AHEAD)).isEqualTo(2);
        assertThat(batch.aheadTimestamps()).containsExactly(TestRecords.TIMESTAMP, TestRecords.TIMESTAMP);
        assertThat(batch.offsets()).containsEntry(tp, new OffsetAndMetadata(10));
    }
}
