package dev.conveyor.worker.internal;

import dev.conveyor.store.StatusChange;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** What a completer is asked to make durable; handed back to the poll thread once it is. */
sealed interface WriterEvent {

    TopicPartition partition();

    long offset();

    /** An execution finished; record its outcome. */
    record Finished(Execution.Ended outcome) implements WriterEvent {
        @Override
        public TopicPartition partition() {
            return outcome.execution().partition();
        }

        @Override
        public long offset() {
            return outcome.execution().offset();
        }

        Execution execution() {
            return outcome.execution();
        }
    }

    /**
     * A record that cannot run goes to the dead-letter topic; {@code dead} is the status change
     * to write when its task id is known, else null.
     */
    record DeadLetter(TopicPartition partition, long offset, ConsumerRecord<byte[], byte[]> record, String reason,
            StatusChange dead) implements WriterEvent {}
}
