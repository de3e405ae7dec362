package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Task;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The idempotency key on the ingress's enqueue path, against a real PostgreSQL and a mock Kafka producer. */
@ConveyorIntegrationTest
class TaskEnqueuerIT {

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());

    private TaskEnqueuer enqueuer(TestDatabase db) {
        Clock clock = Clock.systemUTC();
        return new TaskEnqueuer(new Publisher(producer, "conveyor.", clock), new IdempotencyKeys(db.dsl()),
                new IngressMetrics(new SimpleMeterRegistry()), clock);
    }

    private static Task task() {
        return Task.builder().topic("orders").payload(new byte[] {'{', '}'}).contentType("application/json")
                .createdAt(Instant.now()).build();
    }

    private CompletableFuture<TaskEnqueuer.Accepted> enqueueAsync(TaskEnqueuer enqueuer, Task task, String key) {
        int before = producer.history().size();
        CompletableFuture<TaskEnqueuer.Accepted> f = CompletableFuture.supplyAsync(
                () -> enqueuer.enqueue(task, "topic:orders", key, null));
        await().until(() -> producer.history().size() > before || f.isDone());
        return f;
    }

    @Test
    void aRepeatGetsTheFirstTaskBackWithoutSending(TestDatabase db) {
        TaskEnqueuer enqueuer = enqueuer(db);
        String key = "k-" + UUID.randomUUID();
        Task first = task();
        var accepted = enqueueAsync(enqueuer, first, key);
        producer.completeNext();
        assertThat(accepted.join()).isEqualTo(new TaskEnqueuer.Accepted(first.id(), false));

        assertThat(enqueuer.enqueue(task(), "topic:orders", key, null))
                .isEqualTo(new TaskEnqueuer.Accepted(first.id(), true));
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void anUnconfirmedSendKeepsTheKeyAndItsRetryIsTheSameTask(TestDatabase db) {
        TaskEnqueuer enqueuer = enqueuer(db);
        String key = "k-" + UUID.randomUUID();
        Task first = task();
        var failed = enqueueAsync(enqueuer, first, key);
        producer.errorNext(new TimeoutException("delivery timeout"));
        assertThatThrownBy(failed::join).cause().isInstanceOfSatisfying(HttpError.class,
                e -> assertThat(e.taskId()).isEqualTo(first.id()));

        Task retry = task();
        var accepted = enqueueAsync(enqueuer, retry, key);
        producer.completeNext();
        assertThat(accepted.join()).isEqualTo(new TaskEnqueuer.Accepted(first.id(), false));
        // The retry's record carries the first task's id, and its CloudEvents id with it.
        assertThat(new String(producer.history().get(1).headers().lastHeader("ce_id").value()))
                .isEqualTo(first.id().toString());
    }

    @Test
    void aSendThatCertainlyFailedFreesTheKey(TestDatabase db) {
        TaskEnqueuer enqueuer = enqueuer(db);
        String key = "k-" + UUID.randomUUID();
        var failed = enqueueAsync(enqueuer, task(), key);
        producer.errorNext(new RecordTooLargeException("too large"));
        assertThatThrownBy(failed::join).cause().isInstanceOfSatisfying(HttpError.class,
                e -> assertThat(e.detail()).isEqualTo(TaskEnqueuer.NOT_ENQUEUED));

        Task second = task();
        var accepted = enqueueAsync(enqueuer, second, key);
        producer.completeNext();
        assertThat(accepted.join()).isEqualTo(new TaskEnqueuer.Accepted(second.id(), false));
    }

    @Test
    void aKeyStillBeingEnqueuedIs409(TestDatabase db) {
        TaskEnqueuer enqueuer = enqueuer(db);
        String key = "k-" + UUID.randomUUID();
        var pending = enqueueAsync(enqueuer, task(), key);
        assertThatThrownBy(() -> enqueuer.enqueue(task(), "topic:orders", key, null))
                .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(409));
        producer.completeNext();
        assertThat(pending.join().replayed()).isFalse();
    }
}
