package dev.conveyor.worker.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces the side records a batch depends on (dead letters, traces) and waits for Kafka's
 * acknowledgement, sending the failed ones again after {@link Retry} pauses: a batch's offsets are
 * committed only once all are acknowledged, so these records may be duplicated by a retry, never lost.
 */
final class AcknowledgedSends {

    private static final Logger log = LoggerFactory.getLogger(AcknowledgedSends.class);

    private final Producer<byte[], byte[]> producer;
    private final BooleanSupplier aborted;

    AcknowledgedSends(Producer<byte[], byte[]> producer, BooleanSupplier aborted) {
        this.producer = producer;
        this.aborted = aborted;
    }

    /** Sends every record until each is acknowledged; false if aborted meanwhile. */
    boolean sendAll(List<ProducerRecord<byte[], byte[]>> records) {
        List<ProducerRecord<byte[], byte[]>> pending = records;
        Retry retry = null;
        while (!pending.isEmpty()) {
            List<Future<RecordMetadata>> sends = new ArrayList<>(pending.size());
            for (ProducerRecord<byte[], byte[]> r : pending) {
                sends.add(producer.send(r));
            }
            List<ProducerRecord<byte[], byte[]>> failed = new ArrayList<>();
            Throwable lastError = null;
            for (int i = 0; i < sends.size(); i++) {
                try {
                    sends.get(i).get();
                } catch (InterruptedException e) {
                    if (aborted.getAsBoolean()) {
                        return false;
                    }
                    failed.add(pending.get(i));
                    lastError = e;
                } catch (ExecutionException e) {
                    failed.add(pending.get(i));
                    lastError = e.getCause();
                    log.warn("Producing to {} failed ({})", pending.get(i).topic(), e.getCause().getMessage());
                }
            }
            if (!failed.isEmpty()) {
                if (aborted.getAsBoolean()) {
                    return false;
                }
                retry = retry == null ? Retry.untilStopped() : retry;
                if (!retry.pauseAfter(log, "Producing " + failed.size() + " record(s)", lastError)) {
                    return false; // interrupted: only an abort does that
                }
            }
            pending = failed;
        }
        return true;
    }
}
