package dev.conveyor.worker.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * What the worker does when the group moves partitions (called on the poll thread, inside poll).
 * Revoked: held records and executions not yet started are left to the next owner, then the running
 * ones get a short while to be recorded so the next owner does not run them again; this blocks the
 * poll thread (the partitions are handed over when it returns), so it must be short. Lost: the same
 * without committing. Assigned: paused like the rest while the worker is full.
 */
final class Rebalance implements ConsumerRebalanceListener {

    /** The most a revocation waits for running executions (less when the shutdown grace is shorter). */
    private static final Duration MAX_REVOKE_WAIT = Duration.ofSeconds(10);

    private final Consumer<byte[], byte[]> consumer;
    private final Dispatcher dispatcher;
    private final Handover handover;
    private final OffsetLedger ledger;
    private final FlowControl flow;
    private final RunState state;
    private final Duration revokeWait;
    private final CountDownLatch firstAssignment = new CountDownLatch(1);

    record Parts(Consumer<byte[], byte[]> consumer, Dispatcher dispatcher, Handover handover, OffsetLedger ledger,
            FlowControl flow, RunState state) {}

    Rebalance(Parts parts, Duration shutdownGrace) {
        this.consumer = parts.consumer();
        this.dispatcher = parts.dispatcher();
        this.handover = parts.handover();
        this.ledger = parts.ledger();
        this.flow = parts.flow();
        this.state = parts.state();
        this.revokeWait = Duration.ofSeconds(Math.min(MAX_REVOKE_WAIT.toSeconds(), shutdownGrace.toSeconds()));
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (state.aborted() || partitions.isEmpty()) {
            return;
        }
        dispatcher.giveUpUnstarted(partitions::contains);
        handover.awaitAndCommit(partitions, revokeWait);
        ledger.remove(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        dispatcher.giveUpUnstarted(partitions::contains);
        ledger.remove(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (flow.paused() && !partitions.isEmpty()) {
            consumer.pause(partitions);
        }
        if (!partitions.isEmpty()) {
            firstAssignment.countDown();
        }
    }

    boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return firstAssignment.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
