package dev.conveyor.bench;

import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * A plain consumer on a task topic that notes the record timestamp (CreateTime: when the
 * scheduler's send() was called) of the first record of each task at {@code attempt}, and how
 * many records of that attempt arrived in all (more than one per task: produced twice). It tells
 * the scheduler's share of lateness from the worker's.
 */
final class Tap implements AutoCloseable {

    private final Map<UUID, Long> sentMs = new ConcurrentHashMap<>();
    private final AtomicLong records = new AtomicLong();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private volatile boolean stop;
    private final Thread thread;

    Tap(Infrastructure infra, String topic, int attempt) {
        thread = Thread.ofPlatform().name("bench-tap-" + topic).start(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                    infra.consumerProperties("bench-tap-" + topic))) {
                consumer.subscribe(List.of(topic));
                while (!stop) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (codec.decode(r) instanceof Decoded.Ok ok && ok.task().attempt() == attempt) {
                            records.incrementAndGet();
                            sentMs.putIfAbsent(ok.task().id(), r.timestamp());
                        }
                    }
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
    }

    /** Waits up to {@code timeout} until {@code n} tasks were seen. */
    void await(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sentMs.size() < n && System.nanoTime() < deadline && error.get() == null) {
            Thread.sleep(10);
        }
    }

    /** Scheduler's send time minus due time, and handle() entry minus send time, over the tasks of {@code due}. */
    void put(Line line, Map<UUID, Instant> due, Runs runs) {
        long[] sendLate = new long[due.size()];
        long[] pickup = new long[due.size()];
        int k = 0;
        int q = 0;
        for (Map.Entry<UUID, Instant> e : due.entrySet()) {
            Long sent = sentMs.get(e.getKey());
            if (sent == null) {
                continue;
            }
            sendLate[k++] = sent - e.getValue().toEpochMilli();
            Runs.Run r = runs.get(e.getKey());
            if (r != null) {
                pickup[q++] = r.firstStartMs - sent;
            }
        }
        line.putMs("sent_after_due_", Latency.of(sendLate, k), false);
        line.putMs("send_to_handle_", Latency.of(pickup, q), false);
        line.put("records_produced", records.get());
        if (error.get() != null) {
            line.put("tap_error", error.get().toString());
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }
}
