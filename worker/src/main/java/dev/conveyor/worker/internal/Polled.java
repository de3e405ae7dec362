package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.Decoded;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One polled record on its way to an execution (poll thread only).
 *
 * @param offsets its partition's offsets of the assignment it was polled in (a partition revoked
 *     and assigned again gets new ones, and a record of the old assignment must not settle an
 *     offset of the new one)
 * @param notBefore its {@code conveyor_not_before} time, or null
 * @param readyMs when the record could first run (its timestamp, or its not-before time)
 * @param due a scheduler's delivery (it carries {@code conveyor_not_before}) whose time has come; it
 *     starts without waiting for the completers to catch up
 */
record Polled(TopicPartition partition, PartitionOffsets offsets, ConsumerRecord<byte[], byte[]> record,
        Decoded decoded, Instant notBefore, long readyMs, boolean due) {

    Polled(TopicPartition partition, PartitionOffsets offsets, ConsumerRecord<byte[], byte[]> record, Decoded decoded,
            Instant notBefore) {
        this(partition, offsets, record, decoded, notBefore, record.timestamp(), notBefore != null);
    }

    /** The same record, released from the hold queue at {@code at}. */
    Polled readyAt(Instant at) {
        return new Polled(partition, offsets, record, decoded, notBefore, Math.max(readyMs, at.toEpochMilli()), true);
    }

    /** The task, for a record that decoded (every record that can hold or follow a claim). */
    Task task() {
        return ((Decoded.Ok) decoded).task();
    }

    long offset() {
        return record.offset();
    }

    /** {@code topic-partition@offset}, for log lines. */
    String where() {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
