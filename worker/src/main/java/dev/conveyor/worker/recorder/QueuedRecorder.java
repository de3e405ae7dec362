package dev.conveyor.worker.recorder;

import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusModes;
import dev.conveyor.store.StatusStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recorder: gives every task produced straight to a task topic (by any Kafka producer, as a
 * CloudEvent or a plain record) its {@code queued} row, so it is listed, counted and cancellable
 * while it waits in Kafka, whether or not a worker serves its topic. It reads the task topics in a
 * consumer group of its own ({@code <prefix>recorder}) and writes one batch of rows per poll
 * ({@link StatusStore#recordQueued}), so it never delays a worker: nothing of it is on the
 * execution path, and a worker that got there first keeps its row as it is (the write never moves
 * a task backwards). It runs in the scheduler role; several schedulers share the group's partitions.
 */
public final class QueuedRecorder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueuedRecorder.class);

    /**
     * What a recorder needs from its process.
     *
     * @param store where the queued rows go
     * @param meters where {@code conveyor.recorder.*} meters go
     * @param clock time source of the lag
     * @param modes which tasks go without a queued row (those of lean topics, {@link StatusModes})
     * @param workers how far the workers got, to skip what they finished ({@link WorkerOffsets#NONE}:
     *     record everything); not closed by the recorder
     */
    public record Collaborators(StatusStore store, MeterRegistry meters, Clock clock, StatusModes modes,
            WorkerOffsets workers) {
        public Collaborators {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(meters, "meters");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(modes, "modes");
            Objects.requireNonNull(workers, "workers");
        }

        /** Every topic gets queued rows, every record is recorded. */
        public Collaborators(StatusStore store, MeterRegistry meters, Clock clock) {
            this(store, meters, clock, StatusModes.FULL, WorkerOffsets.NONE);
        }

        /** The same, skipping the records {@code workers} finished with. */
        public Collaborators skippingWhat(WorkerOffsets workers) {
            return new Collaborators(store, meters, clock, modes, workers);
        }

        /** The same, leaving out the tasks that {@code modes} lets go without a row. */
        public Collaborators withModes(StatusModes modes) {
            return new Collaborators(store, meters, clock, modes, workers);
        }
    }

    private final RecorderLoop loop;
    private final RecorderMetrics metrics;
    private final Thread thread;

    private QueuedRecorder(Consumer<byte[], byte[]> consumer, Set<String> topics, Collaborators c) {
        this.metrics = new RecorderMetrics(c.meters());
        this.loop = new RecorderLoop(consumer, topics, new AcceptedRecords(new TaskRecordCodec(c.clock()),
                c.modes()), c.workers(), c.store(), metrics, c.clock());
        this.thread = Thread.ofPlatform().name("conveyor-recorder").unstarted(loop);
    }

    /**
     * Starts recording the topics of {@code config}.
     *
     * @throws IllegalArgumentException when there is no topic to record
     */
    public static QueuedRecorder start(RecorderConfig config, Collaborators c) {
        Set<String> topics = Set.copyOf(config.topics());
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("the recorder has no task topic to record");
        }
        QueuedRecorder recorder = start(new KafkaConsumer<>(consumerProperties(config)), topics, c);
        log.info("Recorder started: group={} topics={} batch-size={}", config.group(), topics, config.batchSize());
        return recorder;
    }

    /** Starts on a consumer made elsewhere (a test's MockConsumer), which the recorder closes. */
    static QueuedRecorder start(Consumer<byte[], byte[]> consumer, Set<String> topics, Collaborators c) {
        QueuedRecorder recorder = new QueuedRecorder(consumer, topics, c);
        recorder.thread.start();
        return recorder;
    }

    /**
     * Waits until the group gave this recorder partitions (for a caller that measures from then on).
     *
     * @return false when none came within {@code timeout}
     */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!loop.hasPartitions()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** The recorder's meters. */
    public RecorderMetrics metrics() {
        return metrics;
    }

    /** Stops polling; a batch being written is left uncommitted (read again later) when the database is down. */
    @Override
    public void close() {
        loop.stop();
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Recorder stopped");
    }

    private static java.util.Properties consumerProperties(RecorderConfig config) {
        Map<String, Object> tuning = new HashMap<>();
        // One poll is one insert statement: its size is the batch size.
        tuning.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.batchSize());
        tuning.putAll(config.kafkaClient());
        return KafkaClients.consumer(config.bootstrap(), config.group(), config.node() + "-recorder", tuning);
    }
}
