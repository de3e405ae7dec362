package dev.conveyor.worker.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Giving partitions up (revoked, or the worker stopping): waits a while for their running
 * executions' outcomes to become durable, then commits every position of them synchronously, also
 * one an earlier commit already sent (that commit may have failed). Whatever is not durable in time
 * is redelivered to the next owner (at-least-once). Poll thread only.
 */
final class Handover {

    private static final Logger log = LoggerFactory.getLogger(Handover.class);

    private final Consumer<byte[], byte[]> consumer;
    private final OffsetLedger ledger;
    private final Settlements settled;
    private final Settlements.Sink sink;
    private final RunState state;

    Handover(Consumer<byte[], byte[]> consumer, OffsetLedger ledger, Settlements settled, Settlements.Sink sink,
            RunState state) {
        this.consumer = consumer;
        this.ledger = ledger;
        this.settled = settled;
        this.sink = sink;
        this.state = state;
    }

    /** Waits (up to {@code grace}) for the given partitions' outstanding outcomes, then commits them. */
    void awaitAndCommit(Collection<TopicPartition> partitions, Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline && !state.aborted()) {
            settled.drainTo(sink);
            if (!ledger.outstanding(partitions)) {
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (state.aborted()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commits = ledger.positions(partitions);
        if (!commits.isEmpty()) {
            try {
                consumer.commitSync(commits, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("Final offset commit failed (the records may be delivered again): {}", e.getMessage());
            }
        }
    }
}
