package dev.conveyor.worker.internal;

import dev.conveyor.store.StatusChange;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** What the status writer is asked to make durable. */
sealed interface WriterEvent {

    TopicPartition partition();

    long offset();

    /** An execution finished; record its outcome. */
    record Finished(Execution execution) implements WriterEvent {
        @Override
        public TopicPartition partition() {
            return execution.partition;
        }

        @Override
        public long offset() {
            return execution.offset;
        }
    }

    /**
     * A record that cannot run goes to the dead-letter topic; {@code dead} is the status change
     * to write when its task id is known, else null.
     */
    record DeadLetter(TopicPartition partition, long offset, ConsumerRecord<byte[], byte[]> record, String reason,
            StatusChange dead) implements WriterEvent {}
}
