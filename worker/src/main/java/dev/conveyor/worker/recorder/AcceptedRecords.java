package dev.conveyor.worker.recorder;

import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusModes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Turns a poll of task records into {@link StatusChange#accepted} changes, decoding each record
 * with the worker's codec so the recorder and the worker agree on every task id (a plain record's
 * id is derived from its topic, partition and offset). Records that must not get a queued row are
 * counted by {@link Skip} reason: a record the workers have finished with already (its row exists), a
 * scheduler's redelivery (its row exists; a queued row written for it would be stale), a record that
 * does not decode (the worker dead-letters it), and a task of a lean topic ({@link StatusModes}).
 */
final class AcceptedRecords {

    private final TaskRecordCodec codec;
    private final StatusModes modes;

    AcceptedRecords(TaskRecordCodec codec, StatusModes modes) {
        this.codec = codec;
        this.modes = modes;
    }

    /**
     * @param workersCommitted the workers' committed offset per partition: records below it have
     *     their row already ({@link WorkerOffsets})
     */
    PollBatch select(ConsumerRecords<byte[], byte[]> records, Map<TopicPartition, Long> workersCommitted) {
        List<StatusChange> accepted = new ArrayList<>(records.count());
        long[] timestamps = new long[records.count()];
        long[] ahead = new long[records.count()];
        int aheadCount = 0;
        Map<Skip, Integer> skipped = new EnumMap<>(Skip.class);
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> partition = records.records(tp);
            long workers = workersCommitted.getOrDefault(tp, -1L);
            for (ConsumerRecord<byte[], byte[]> r : partition) {
                Skip skip = r.offset() < workers ? Skip.WORKERS_AHEAD : skipOrAccept(r, accepted);
                if (skip == Skip.WORKERS_AHEAD) {
                    ahead[aheadCount++] = r.timestamp();
                }
                if (skip != null) {
                    skipped.merge(skip, 1, Integer::sum);
                } else {
                    timestamps[accepted.size() - 1] = r.timestamp();
                }
            }
            offsets.put(tp, new OffsetAndMetadata(partition.getLast().offset() + 1));
        }
        return new PollBatch(accepted, java.util.Arrays.copyOf(timestamps, accepted.size()),
                java.util.Arrays.copyOf(ahead, aheadCount), skipped, offsets);
    }

    /** Adds the record's change to {@code accepted}, or says why it gets none. */
    private Skip skipOrAccept(ConsumerRecord<byte[], byte[]> r, List<StatusChange> accepted) {
        if (r.headers().lastHeader(ConveyorHeaders.NOT_BEFORE) != null) {
            return Skip.REDELIVERY;
        }
        if (!(codec.decode(r) instanceof Decoded.Ok ok)) {
            return Skip.UNDECODABLE;
        }
        if (ok.task().attempt() > 1) {
            return Skip.REDELIVERY;
        }
        if (modes.mayKeepNoRow(ok.task())) {
            return Skip.LEAN;
        }
        accepted.add(StatusChange.accepted(ok.task(), "recorded from " + r.topic() + "-" + r.partition() + "@"
                + r.offset()));
        return null;
    }
}
