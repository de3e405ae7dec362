package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumption through a consumer group, on the one thread that touches the Kafka consumer: each turn
 * commits what became durable ({@link OffsetLedger}), lets the {@link Dispatcher} readmit copies,
 * release held records and start waiting ones, applies {@link FlowControl}, then polls, decodes and
 * dispatches. Partitions moving are the {@link Rebalance}'s; giving them up is the {@link Handover}'s.
 * Offsets are committed only after status is durable, so a crash redelivers, never loses.
 */
final class GroupConsumption implements TaskConsumption {

    private static final Logger log = LoggerFactory.getLogger(GroupConsumption.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(50);
    /** Poll timeout while records wait for the completers: room is looked for this often. */
    private static final Duration WAITING_POLL = Duration.ofMillis(5);

    /** @param states closed when the loop ends (it reads on this thread) */
    record Parts(Consumer<byte[], byte[]> consumer, Set<String> topics, Dispatcher dispatcher, OffsetLedger ledger,
            HoldQueue holds, WriteAheadGate gate, Settlements settled, PollDecoder decoder, AutoCloseable states,
            WorkerMetrics metrics, AtomicInteger inFlight, RunState state) {}

    private final Parts parts;
    private final Consumer<byte[], byte[]> consumer;
    private final Duration shutdownGrace;
    private final FlowControl flow;
    private final Handover handover;
    private final Rebalance rebalance;

    GroupConsumption(Parts parts, int maxInFlight, Duration shutdownGrace) {
        this.parts = parts;
        this.consumer = parts.consumer();
        this.shutdownGrace = shutdownGrace;
        this.flow = new FlowControl(consumer, parts.inFlight(), maxInFlight);
        this.handover = new Handover(consumer, parts.ledger(), parts.settled(), parts.dispatcher(), parts.state());
        this.rebalance = new Rebalance(new Rebalance.Parts(consumer, parts.dispatcher(), handover, parts.ledger(), flow,
                parts.state()), shutdownGrace);
    }

    @Override
    public Ordering ordering() {
        return Ordering.KEY;
    }

    @Override
    public void run() {
        RunState state = parts.state();
        Dispatcher dispatcher = parts.dispatcher();
        try {
            consumer.subscribe(parts.topics(), rebalance);
            while (!state.stopping()) {
                commitDurable();
                dispatcher.readmitCopies();
                dispatcher.releaseDue();
                dispatcher.startWaiting();
                flow.apply();
                flow.updateLag(parts.topics(), parts.metrics());
                // While paused nothing is fetched: wait for outcomes instead of blocking in poll, so
                // the records in flight are committed (and fetching resumes) as soon as they are durable.
                Duration wait = parts.holds().untilRelease(POLL_TIMEOUT);
                if (parts.gate().hasWaiting() && wait.compareTo(WAITING_POLL) > 0) {
                    wait = WAITING_POLL; // outcomes becoming durable make room: look again soon
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(flow.paused() ? Duration.ZERO : wait);
                if (!records.isEmpty()) {
                    dispatch(records);
                } else if (flow.paused()) {
                    parts.settled().awaitDurable(wait, dispatcher);
                }
            }
            if (!state.aborted()) {
                // Intake stops: records not started yet are left to the next owner; running ones may finish.
                dispatcher.giveUpUnstarted(tp -> true);
                drain();
            }
        } catch (WakeupException e) {
            if (!state.stopping()) {
                log.error("Worker consumer woken up unexpectedly; stopping", e);
            }
        } catch (RuntimeException e) {
            log.error("Worker poll loop failed; stopping. Uncommitted records will be redelivered", e);
        } finally {
            close();
        }
    }

    @Override
    public void stop() {
        parts.state().stop();
    }

    @Override
    public void abort() {
        parts.state().abort();
        consumer.wakeup();
    }

    @Override
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return rebalance.awaitAssignment(timeout);
    }

    /** Notes a poll's records in the ledger, decodes them and hands them to dispatch, in poll order. */
    private void dispatch(ConsumerRecords<byte[], byte[]> records) {
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(records.count());
        for (TopicPartition tp : records.partitions()) {
            PartitionOffsets po = parts.ledger().of(tp);
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                list.add(r);
                po.dispatched(r.offset());
            }
        }
        Decoded[] decoded = parts.decoder().decodeAll(list);
        List<Polled> polled = new ArrayList<>(list.size());
        int i = 0;
        // The same walk again: partition by partition, so each partition's offsets are looked up once.
        for (TopicPartition tp : records.partitions()) {
            PartitionOffsets po = parts.ledger().of(tp);
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                Decoded d = decoded[i++];
                polled.add(new Polled(tp, po, r, d, d instanceof Decoded.Ok ? HoldQueue.notBefore(r) : null));
            }
        }
        parts.dispatcher().dispatch(polled);
    }

    /** Commits what became durable; a failed commit is offered again with the next one. */
    private void commitDurable() {
        parts.settled().drainTo(parts.dispatcher());
        Map<TopicPartition, OffsetAndMetadata> commits = parts.ledger().takeCommittable();
        if (!commits.isEmpty()) {
            consumer.commitAsync(commits, (committed, error) -> {
                if (error != null) {
                    // Runs on this thread (inside poll): offer the positions again with the next commit.
                    log.warn("Offset commit failed; retrying with the next commit: {}", error.getMessage());
                    parts.ledger().commitFailed(commits);
                }
            });
        }
    }

    private void drain() {
        handover.awaitAndCommit(parts.ledger().partitions(), shutdownGrace);
        int left = parts.inFlight().get();
        if (left > 0) {
            log.warn("{} execution(s) did not finish within the shutdown grace of {}; they will be redelivered", left,
                    shutdownGrace);
        }
    }

    private void close() {
        try {
            parts.states().close();
        } catch (Exception e) {
            log.warn("Closing the state reader failed", e);
        }
        try {
            consumer.close(parts.state().aborted() ? Duration.ZERO : Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.warn("Closing the consumer failed", e);
        }
    }
}
