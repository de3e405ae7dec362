package dev.conveyor.worker.recorder;

import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.worker.internal.Retry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recorder's consumer thread: poll → select ({@link AcceptedRecords}, skipping what the workers
 * have finished with: {@link WorkerOffsets}) → one
 * {@link StatusStore#recordQueued} per poll → commit (asynchronous). Offsets are committed only after the rows are
 * durable, so a crash or a stop in between leaves the records to be read again; that is harmless,
 * since {@code recordQueued} never touches a row that exists. While PostgreSQL is down the write
 * is retried ({@link Retry}) and the loop polls nothing more: Kafka keeps the records, none is lost.
 * If that lasts beyond {@code max.poll.interval.ms} the group gives the partitions to another
 * recorder, this one's commit fails, and the other reads the same records again.
 */
final class RecorderLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(RecorderLoop.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Consumer<byte[], byte[]> consumer;
    private final Set<String> topics;
    private final AcceptedRecords selection;
    private final WorkerOffsets workers;
    private final StatusStore store;
    private final RecorderMetrics metrics;
    private final Clock clock;
    private final Retry retry = Retry.untilStopped();
    private volatile boolean stopping;
    /** Partitions assigned to this recorder right now (written by the consumer thread's rebalance callbacks). */
    private volatile int assigned;

    RecorderLoop(Consumer<byte[], byte[]> consumer, Set<String> topics, AcceptedRecords selection,
            WorkerOffsets workers, StatusStore store, RecorderMetrics metrics, Clock clock) {
        this.consumer = consumer;
        this.topics = topics;
        this.selection = selection;
        this.workers = workers;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(topics, new ConsumerRebalanceListener() {
                // Nothing to finish on a revocation: each poll is written and committed before the next.
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    assigned = Math.max(0, assigned - partitions.size());
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assigned += partitions.size();
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    onPartitionsRevoked(partitions);
                }
            });
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty() && !record(records)) {
                    return;
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                log.error("Recorder woken up unexpectedly; it stops, uncommitted records will be read again", e);
            }
        } catch (RuntimeException e) {
            log.error("Recorder stopped; uncommitted records will be read again", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Records one poll's tasks and commits its offsets.
     *
     * @return false when the recorder was stopped (or interrupted) before the rows were durable
     */
    private boolean record(ConsumerRecords<byte[], byte[]> records) {
        try {
            PollBatch batch = selection.select(records, workers.committed(records.partitions()));
            int inserted = write(batch.accepted());
            metrics.durable(batch, inserted, clock.millis());
            commit(batch.offsets());
            retry.succeeded();
            return true;
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            if (stopping) {
                return false; // not committed: read again by whoever has the partitions next
            }
            // Not a database outage (that is retried in write): read the poll again after a pause.
            rewind(records);
            return retry.pauseAfter(log, "Recording " + records.count() + " record(s)", e);
        }
    }

    /** Writes the batch's rows, retrying while the database is down; the number of rows it created. */
    private int write(List<StatusChange> accepted) {
        if (accepted.isEmpty()) {
            return 0;
        }
        long start = System.nanoTime();
        int inserted = retry.call(() -> stopping, DataAccessException.class, log,
                "Recording " + accepted.size() + " queued row(s)", () -> {
                    try {
                        return store.recordQueued(accepted).size();
                    } catch (DataAccessException e) {
                        metrics.writeFailed();
                        throw e;
                    }
                });
        metrics.write().record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        return inserted;
    }

    /**
     * Commits without waiting: the rows are durable already, so a commit that fails or is still in
     * flight at a rebalance only means the partitions' next owner reads those records again, finds
     * their rows and writes nothing. (Closing the consumer waits for commits in flight.)
     */
    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error != null) {
                log.warn("Committing recorder offsets failed (those records will be read again): {}",
                        error.getMessage());
            }
        });
    }

    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            consumer.seek(tp, records.records(tp).getFirst().offset());
        }
    }

    /** Whether the group gave this recorder any partition. */
    boolean hasPartitions() {
        return assigned > 0;
    }

    void stop() {
        stopping = true;
        consumer.wakeup();
    }
}
