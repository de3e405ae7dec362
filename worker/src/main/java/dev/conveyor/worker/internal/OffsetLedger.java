package dev.conveyor.worker.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The {@link PartitionOffsets} of every assigned partition: what may be committed, and what must
 * not. A partition assigned again gets new offsets, so a record of an earlier assignment cannot
 * settle an offset of the new one. Poll thread only.
 */
final class OffsetLedger {

    private final Map<TopicPartition, PartitionOffsets> partitions = new HashMap<>();

    /** The offsets of {@code tp}, new if it has none yet. */
    PartitionOffsets of(TopicPartition tp) {
        return partitions.computeIfAbsent(tp, k -> new PartitionOffsets());
    }

    /** Whether {@code offsets} are still {@code tp}'s (the partition was not revoked or reassigned since). */
    boolean current(TopicPartition tp, PartitionOffsets offsets) {
        return partitions.get(tp) == offsets;
    }

    /** The outcome at {@code offset} of {@code tp} is durable (ignored when the partition is gone). */
    void durable(TopicPartition tp, long offset) {
        PartitionOffsets po = partitions.get(tp);
        if (po != null) {
            po.durable(offset);
        }
    }

    /** The positions that moved since they were last taken, to commit now. */
    Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        partitions.forEach((tp, po) -> {
            long position = po.takeCommittable();
            if (position >= 0) {
                commits.put(tp, new OffsetAndMetadata(position));
            }
        });
        return commits;
    }

    /** A commit of {@code commits} failed: each position is offered again by the next {@link #takeCommittable}. */
    void commitFailed(Map<TopicPartition, OffsetAndMetadata> commits) {
        commits.forEach((tp, position) -> {
            PartitionOffsets po = partitions.get(tp);
            if (po != null) {
                po.commitFailed(position.offset());
            }
        });
    }

    /** Every position of {@code tps}, also one an earlier commit already sent (that commit may have failed). */
    Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        for (TopicPartition tp : tps) {
            PartitionOffsets po = partitions.get(tp);
            long position = po == null ? -1 : po.position();
            if (position >= 0) {
                commits.put(tp, new OffsetAndMetadata(position));
            }
        }
        return commits;
    }

    /** Whether any of {@code tps} has a record whose outcome is not durable. */
    boolean outstanding(Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            PartitionOffsets po = partitions.get(tp);
            if (po != null && !po.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Marks the partitions {@code given} accepts revoked: their executions that have not begun do not begin. */
    void revoke(Predicate<TopicPartition> given) {
        partitions.forEach((tp, po) -> {
            if (given.test(tp)) {
                po.revoke();
            }
        });
    }

    void remove(Collection<TopicPartition> tps) {
        tps.forEach(partitions::remove);
    }

    /** The partitions with offsets, as a copy. */
    List<TopicPartition> partitions() {
        return List.copyOf(partitions.keySet());
    }
}
