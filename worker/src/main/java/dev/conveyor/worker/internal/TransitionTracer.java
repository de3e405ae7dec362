package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.TraceRecords;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.Transition;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The trace records of applied status changes, for tasks that carry a trace id (the codec is
 * {@link TraceRecords}). Outcomes' traces go with their batch (acknowledged before the commit); a
 * long execution's {@code running} trace is sent on its own, unacknowledged.
 */
final class TransitionTracer {

    private final Producer<byte[], byte[]> producer;
    private final String traceTopic;
    private final String node;

    TransitionTracer(Producer<byte[], byte[]> producer, String traceTopic, String node) {
        this.producer = producer;
        this.traceTopic = traceTopic;
        this.node = node;
    }

    /** One record per transition of {@code change}; none when its task has no trace id. */
    List<ProducerRecord<byte[], byte[]>> records(StatusChange change) {
        if (change.traceId() == null) {
            return List.of();
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(change.transitions().size());
        for (Transition t : change.transitions()) {
            records.add(TraceRecords.of(new TraceRecords.Trace(change.id(), change.traceId(), change.topic(), t.from(),
                    t.to(), t.at(), change.attempt(), t.reason(), node), traceTopic));
        }
        return records;
    }

    /** Sends the records of {@code change} without waiting for them. */
    void publish(StatusChange change) {
        for (ProducerRecord<byte[], byte[]> r : records(change)) {
            producer.send(r);
        }
    }
}
