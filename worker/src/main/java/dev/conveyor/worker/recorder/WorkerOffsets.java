package dev.conveyor.worker.recorder;

import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the workers' consumer group has committed on the recorder's partitions. A worker commits
 * a record's offset only once its task's status is durable, so every record below that offset has
 * its row already (written by the worker): the recorder skips those records instead of inserting
 * rows that exist. When the workers keep up, the recorder thus writes next to nothing and takes no
 * database time from them; when they fall behind (or are down), it records the backlog.
 */
@FunctionalInterface
public interface WorkerOffsets {

    /** No worker group known: the recorder writes a row for every record. */
    WorkerOffsets NONE = partitions -> Map.of();

    /**
     * The workers' committed offset of each of {@code partitions} that has one (absent: none
     * committed, or unknown right now). Called on the recorder's thread; may block briefly.
     */
    Map<TopicPartition, Long> committed(Set<TopicPartition> partitions);
}
