package dev.conveyor.worker.scheduler.internal;

import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.worker.internal.Retry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes future-dated events from {@code <prefix>delayed} into {@code scheduled_deliveries}
 * (and a {@code queued} task row with {@code next_run_at}), one batch per poll, and commits the
 * offsets only after the batch is written. A record that is not a valid future-dated event goes to
 * the dead-letter topic with the reason.
 *
 * <p>Pipelined: a writer thread stores one batch while the consumer thread polls the next (at most
 * {@value #MAX_PENDING} batches between poll and commit), so a burst of future-dated events is in
 * the table sooner. Batches are written in poll order, and each batch's offsets are committed only
 * after it and every batch before it are written.
 */
public final class DelayedIntake implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(DelayedIntake.class);
    /** Most polled batches not yet written and committed. */
    static final int MAX_PENDING = 2;

    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final StatusStore store;
    private final Clock clock;
    private final String topic;
    private final String dlqTopic;
    private volatile boolean stopping;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("conveyor-delayed-writer").factory());
    /** Polled batches in poll order: their offsets, and the write in progress. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    private record Pending(Map<TopicPartition,
            OffsetAndMetadata> offsets, Future<?> write) {}

    public DelayedIntake(Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer, StatusStore store,
            Clock clock, String topic, String dlqTopic) {
        this.consumer = consumer;
        this.producer = producer;
        this.store = store;
        this.clock = clock;
        this.topic = topic;
        this.dlqTopic = dlqTopic;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                    // Whatever was polled is written and committed before another scheduler takes over.
                    awaitWritten(0, true);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> parts) {}
            });
            while (!stopping) {
                awaitWritten(MAX_PENDING - 1, false);
                ConsumerRecords<byte[], byte[]> records = consumer.poll(pending.isEmpty() ? Duration.ofMillis(200)
                        : Duration.ofMillis(5));
                if (!records.isEmpty()) {
                    Map<TopicPartition,
                            OffsetAndMetadata> offsets = new HashMap<>();
                    for (TopicPartition tp : records.partitions()) {
                        List<ConsumerRecord<byte[], byte[]>> rs = records.records(tp);
                        offsets.put(tp, new OffsetAndMetadata(
                                rs.get(rs.size() - 1).offset() + 1));
                    }
                    pending.add(new Pending(offsets, writer.submit(() -> intake(records))));
                }
            }
            awaitWritten(0, true);
        } catch (WakeupException e) {
            if (!stopping) {
                log.error("Delayed-topic intake woken up unexpectedly", e);
            }
            try {
                awaitWritten(0, true); // what was polled before the stop is stored and committed
            } catch (RuntimeException left) {
                log.warn("Delayed-topic intake stopped with events uncommitted; they will be read again: {}",
                        left.toString());
            }
        } catch (RuntimeException e) {
            log.error("Delayed-topic intake stopped; uncommitted events will be read again", e);
        } finally {
            writer.shutdownNow();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Commits the batches written so far, in poll order, waiting for the oldest ones until at most
     * {@code keep} are left pending. The last commit is synchronous when {@code sync}.
     */
    private void awaitWritten(int keep, boolean sync) {
        Map<TopicPartition, OffsetAndMetadata>
                commit = new HashMap<>();
        while (!pending.isEmpty()) {
            Pending head = pending.peek();
            if (!head.write().isDone() && pending.size() <= keep) {
                break;
            }
            try {
                head.write().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while storing future-dated events", e);
            } catch (java.util.concurrent.ExecutionException e) {
                // Only when stopping (the write retries until the database answers): leave it uncommitted.
                pending.clear();
                throw new IllegalStateException("storing future-dated events failed: " + e.getCause(), e.getCause());
            }
            pending.poll();
            commit.putAll(head.offsets());
        }
        if (commit.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(commit);
        } else {
            consumer.commitAsync(commit, (offsets, error) -> {
                if (error != null) {
                    log.warn("Committing delayed-topic offsets failed (those events may be stored twice): {}",
                            error.getMessage());
                }
            });
        }
    }

    private void intake(ConsumerRecords<byte[], byte[]> records) {
        Instant now = clock.instant();
        List<StatusChange> changes = new ArrayList<>(records.count());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                DelayedRecords.Delayed delayed = DelayedRecords.decode(r);
                changes.add(StatusChange.scheduled(delayed.task(), delayed.dueAt(), now));
            } catch (IllegalArgumentException e) {
                deadLetter(r, e.getMessage());
            }
        }
        // Until stopped: the offsets are committed only after this returns, so a stop meanwhile
        // leaves the events to be consumed again.
        Retry.untilStopped().call(() -> stopping, org.jooq.exception.DataAccessException.class, log,
                "Storing " + changes.size() + " future-dated event(s)", () -> store.schedule(changes));
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
        log.warn("Dead-lettered future-dated event {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
        try {
            producer.send(DeadLetters.of(r, reason, clock.instant(), dlqTopic)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted dead-lettering", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("dead-lettering failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    public void stop() {
        stopping = true;
        consumer.wakeup();
    }
}
