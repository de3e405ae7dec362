package dev.conveyor.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.Task;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A publisher that writes queued rows: when, which kind of row, and when not. */
class PublisherRowsTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final RecordingStore store = new RecordingStore();
    private final AcceptedTasks accepted = AcceptedTasks.start(store, Publisher.ACCEPTED_REASON,
            new SimpleMeterRegistry().counter("f"), Duration.ofSeconds(5), 100);
    private final Publisher publisher = new Publisher(producer, "p.", Clock.fixed(NOW, ZoneOffset.UTC), accepted);

    @AfterEach
    void close() {
        store.release();
        accepted.close();
    }

    @Test
    void theFutureCompletesOnlyAfterKafkaAckedAndTheRowIsWritten() throws Exception {
        store.hold();
        Task task = publisher.toTask("orders", new byte[0], PublishOptions.builder().key("k-1").build());
        CompletableFuture<java.util.UUID> published = publisher.publish(task);
        assertThat(store.queuedBatches).isEmpty();
        producer.completeNext();
        assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(published).isNotDone();
        store.release();
        assertThat(published.get(5, TimeUnit.SECONDS)).isEqualTo(task.id());
        assertThat(store.queuedBatches.get(0)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo(task.id());
            assertThat(c.createdAt()).isEqualTo(NOW);
            assertThat(c.transitions().get(0).reason()).isEqualTo("accepted by the publisher");
        });
    }

    @Test
    void aFutureDatedTaskGetsItsScheduledRowAndDelivery() throws Exception {
        Task task = publisher.toTask("orders", new byte[0], PublishOptions.defaults());
        CompletableFuture<java.util.UUID> published = publisher.publish(task, NOW.plusSeconds(60));
        producer.completeNext();
        assertThat(published.get(5, TimeUnit.SECONDS)).isEqualTo(task.id());
        assertThat(store.queuedBatches).isEmpty();
        assertThat(store.scheduledBatches.get(0)).singleElement()
                .satisfies(c -> assertThat(c.nextRunAt()).isEqualTo(NOW.plusSeconds(60)));
    }

    @Test
    void nothingIsWrittenWhenKafkaRefusesNorForALaterAttempt() {
        Task task = publisher.toTask("orders", new byte[0], PublishOptions.defaults());
        CompletableFuture<java.util.UUID> refused = publisher.publish(task);
        producer.errorNext(new org.apache.kafka.common.errors.RecordTooLargeException("too large"));
        assertThatThrownBy(refused::join).hasCauseInstanceOf(PublishException.class);

        CompletableFuture<java.util.UUID> retried = publisher.publish(task.toBuilder().attempt(2).build());
        producer.completeNext();
        assertThat(retried.join()).isEqualTo(task.id());
        assertThat(store.queuedBatches).isEmpty();
        assertThat(store.scheduledBatches).isEqualTo(List.of());
    }
}
