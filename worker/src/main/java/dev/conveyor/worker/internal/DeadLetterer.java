package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.DeadLetters;
import java.time.Clock;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a record that cannot run into its dead letter (the codec is {@link DeadLetters}, shared with
 * the tools that read the topic). The completer sends it with its batch, acknowledged before the
 * record's offset is committed.
 */
final class DeadLetterer {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterer.class);

    private final String dlqTopic;
    private final WorkerMetrics metrics;
    private final Clock clock;

    DeadLetterer(String dlqTopic, WorkerMetrics metrics, Clock clock) {
        this.dlqTopic = dlqTopic;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** The dead letter of {@code d}, logged and counted. */
    ProducerRecord<byte[], byte[]> record(WriterEvent.DeadLetter d) {
        metrics.deadLetter();
        log.warn("Dead-lettered {}-{}@{}: {}", d.record().topic(), d.record().partition(), d.record().offset(),
                d.reason());
        return DeadLetters.of(d.record(), d.reason(), clock.instant(), dlqTopic);
    }
}
