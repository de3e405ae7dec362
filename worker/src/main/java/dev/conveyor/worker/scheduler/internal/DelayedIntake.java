package dev.conveyor.worker.scheduler.internal;

import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.status.StatusChange;
import dev.conveyor.schema.status.StatusStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
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
 */
public final class DelayedIntake implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(DelayedIntake.class);

    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final StatusStore store;
    private final Clock clock;
    private final String topic;
    private final String dlqTopic;
    private volatile boolean stopping;

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
            consumer.subscribe(List.of(topic));
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    intake(records);
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                log.error("Delayed-topic intake woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            log.error("Delayed-topic intake stopped; uncommitted events will be read again", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
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
        long delayMs = 100;
        while (true) {
            try {
                store.apply(changes);
                return;
            } catch (org.jooq.exception.DataAccessException e) {
                if (stopping) {
                    throw e;
                }
                log.warn("Storing {} future-dated event(s) failed ({}); retrying in {} ms", changes.size(),
                        e.getMessage(), delayMs);
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delayMs = Math.min(5_000, delayMs * 2);
            }
        }
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
