package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The ingress's enqueue path without an idempotency key (no database): what reaches Kafka through
 * the {@link Publisher}, and the 503 a client gets when Kafka does not take it. The key's states
 * are in {@code TaskEnqueuerIT}.
 */
class TaskEnqueuerTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final TaskEnqueuer enqueuer = new TaskEnqueuer(new Publisher(producer, "conveyor.", clock),
            new IdempotencyKeys(null), new IngressMetrics(meters), clock);

    private static Task task() {
        return Task.builder().topic("orders").payload(new byte[] {'{', '}'}).contentType("application/json")
                .createdAt(NOW).build();
    }

    /** Enqueues on another thread (it waits for Kafka) and returns once the record was sent. */
    private CompletableFuture<TaskEnqueuer.Accepted> enqueueAsync(Task task, Instant deliverAt) {
        int before = producer.history().size();
        CompletableFuture<TaskEnqueuer.Accepted> f = CompletableFuture.supplyAsync(
                () -> enqueuer.enqueue(task, null, null, deliverAt));
        await().until(() -> producer.history().size() > before);
        return f;
    }

    @Test
    void anAcknowledgedTaskIsAcceptedAndCounted() {
        Task task = task();
        var accepted = enqueueAsync(task, null);
        producer.completeNext();
        assertThat(accepted.join()).isEqualTo(new TaskEnqueuer.Accepted(task.id(), false));
        assertThat(producer.history().getFirst().topic()).isEqualTo("orders");
        assertThat(meters.get("conveyor.ingress.accepted").tag("topic", "orders")
                .tag("kind", TaskKind.BACKGROUND.wireName()).tag("delayed", "false").counter().count()).isEqualTo(1);
    }

    @Test
    void aScheduledTaskGoesToTheDelayedTopic() {
        var accepted = enqueueAsync(task(), NOW.plusSeconds(60));
        producer.completeNext();
        accepted.join();
        assertThat(producer.history().getFirst().topic()).isEqualTo("conveyor.delayed");
        assertThat(meters.get("conveyor.ingress.accepted").tag("delayed", "true").counter().count()).isEqualTo(1);
    }

    @Test
    void aSendKafkaMayHaveWrittenIs503WithTheTaskId() {
        Task task = task();
        var accepted = enqueueAsync(task, null);
        producer.errorNext(new TimeoutException("delivery timeout"));
        assertThatThrownBy(accepted::join).cause().isInstanceOfSatisfying(HttpError.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.detail()).isEqualTo(TaskEnqueuer.MAY_BE_ENQUEUED_EVENT);
            assertThat(e.taskId()).isEqualTo(task.id());
            assertThat(e.headers()).containsEntry("Retry-After", "5");
        });
        assertThat(meters.find("conveyor.ingress.accepted").counter()).isNull();
    }

    @Test
    void aSendTheBrokerRefusedIs503NotEnqueuedWithoutAnId() {
        var accepted = enqueueAsync(task(), null);
        producer.errorNext(new RecordTooLargeException("too large"));
        assertThatThrownBy(accepted::join).cause().isInstanceOfSatisfying(HttpError.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.detail()).isEqualTo(TaskEnqueuer.NOT_ENQUEUED);
            assertThat(e.taskId()).isNull();
        });
    }

    @Test
    void aRecordThatNeverLeftTheProducerIsNotEnqueued() {
        producer.sendException = new TimeoutException("no metadata within max.block.ms");
        assertThatThrownBy(() -> enqueuer.produce(task(), null, TaskEnqueuer.MAY_BE_ENQUEUED_INTERACTIVE))
                .isInstanceOfSatisfying(HttpError.class, e -> {
                    assertThat(e.detail()).isEqualTo(TaskEnqueuer.NOT_ENQUEUED);
                    assertThat(e.taskId()).isNull();
                });
    }

    @Test
    void produceNamesTheCallersCase() {
        Task task = task();
        CompletableFuture<Void> f = CompletableFuture.runAsync(
                () -> enqueuer.produce(task, null, TaskEnqueuer.MAY_BE_ENQUEUED_RETRY));
        await().until(() -> producer.history().size() == 1);
        producer.errorNext(new TimeoutException("request timeout"));
        assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(HttpError.class, e -> {
            assertThat(e.detail()).isEqualTo(TaskEnqueuer.MAY_BE_ENQUEUED_RETRY);
            assertThat(e.taskId()).isEqualTo(task.id());
        });
    }
}
