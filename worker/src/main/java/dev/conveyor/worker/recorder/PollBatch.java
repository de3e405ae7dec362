package dev.conveyor.worker.recorder;

import dev.conveyor.store.StatusChange;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What one poll asks of the recorder.
 *
 * @param accepted one {@link StatusChange#accepted} change per record that gets a queued row
 * @param timestamps the Kafka timestamps (ms) of those records, in the same order: the lag is measured from them
 * @param aheadTimestamps the Kafka timestamps (ms) of the records skipped as {@link Skip#WORKERS_AHEAD}:
 *     their rows are durable already, so they count in the lag too
 * @param skipped records that get no row, by why
 * @param offsets what to commit once the rows are durable: every polled record, skipped ones included
 */
record PollBatch(List<StatusChange> accepted, long[] timestamps, long[] aheadTimestamps, Map<Skip, Integer> skipped,
        Map<TopicPartition, OffsetAndMetadata> offsets) {

    PollBatch {
        accepted = List.copyOf(accepted);
        skipped = skipped.isEmpty() ? Map.of() : new EnumMap<>(skipped);
        offsets = Map.copyOf(offsets);
        if (timestamps.length != accepted.size()) {
            throw new IllegalArgumentException("one timestamp per accepted change");
        }
    }

    int skippedFor(Skip reason) {
        return skipped.getOrDefault(reason, 0);
    }
}
