package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Extension;
import dev.conveyor.worker.spi.ExtensionSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;

/** What the worker parts' unit tests build their inputs from: routes, tasks, polled records, a settable clock. */
final class Parts {

    static final String TOPIC = "t";
    static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final TaskRecordCodec CODEC = new TaskRecordCodec();

    private Parts() {}

    interface Handler {
        TaskResult handle(Task task) throws Exception;
    }

    static BackgroundExtension extension(Handler body) {
        return extension(ExtensionSettings.none(), body);
    }

    static BackgroundExtension extension(ExtensionSettings settings, Handler body) {
        return new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(TOPIC);
            }

            @Override
            public ExtensionSettings settings() {
                return settings;
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                return body.handle(task);
            }
        };
    }

    static Route route(Extension extension) {
        return Route.resolve(TOPIC, extension, WorkerConfig.builder("k:9092").build());
    }

    static Route route() {
        return route(extension(task -> TaskResult.done()));
    }

    static Task task() {
        return Task.builder().topic(TOPIC).payload("{}", "application/json").build();
    }

    static Task attempt(Task task, int attempt) {
        return task.toBuilder().attempt(attempt).build();
    }

    static WorkerMetrics metrics() {
        return new WorkerMetrics(new SimpleMeterRegistry(), () -> 0);
    }

    /** {@code task} as polled from {@code tp} at {@code offset}, with a not-before header when {@code notBefore} is set. */
    static Polled polled(TopicPartition tp, PartitionOffsets offsets, long offset, Task task, Instant notBefore) {
        ProducerRecord<byte[], byte[]> produced = CODEC.encode(task);
        if (notBefore != null) {
            produced.headers().add(ConveyorHeaders.NOT_BEFORE, notBefore.toString().getBytes(StandardCharsets.UTF_8));
        }
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(tp.topic(), tp.partition(), offset,
                task.createdAt().toEpochMilli(), TimestampType.CREATE_TIME, -1, -1, produced.key(), produced.value(),
                produced.headers(), Optional.empty());
        offsets.dispatched(offset);
        return new Polled(tp, offsets, record, CODEC.decode(record), HoldQueue.notBefore(record));
    }

    static Polled polled(TopicPartition tp, PartitionOffsets offsets, long offset, Task task) {
        return polled(tp, offsets, offset, task, null);
    }

    static Execution execution(Route route, Task task) {
        return new Execution(P0, new PartitionOffsets(), 0, -1, task, route, null);
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
