package dev.conveyor.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The one way this module builds and sends a task, with a mock producer and a fixed clock. */
class PublisherTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final Publisher publisher = new Publisher(producer, "p.", Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aTaskIsCreatedNowByTheInjectedClockUnlessTheOptionsSayWhen() {
        Task now = publisher.toTask("orders", new byte[0], PublishOptions.defaults());
        assertThat(now.createdAt()).isEqualTo(NOW);
        Instant earlier = NOW.minusSeconds(3600);
        assertThat(publisher.toTask("orders", new byte[0], PublishOptions.builder().createdAt(earlier).build())
                .createdAt()).isEqualTo(earlier);
    }

    @Test
    void theEventIdDefaultsToTheTaskIdAndCanBeGiven() {
        UUID id = UUID.randomUUID();
        Task plain = publisher.toTask("orders", new byte[0], PublishOptions.builder().id(id).build());
        assertThat(plain.eventId()).isEqualTo(id.toString());
        Task cloudEvent = publisher.toTask("orders", new byte[0], PublishOptions.builder().id(id).eventId("e-1").build());
        assertThat(cloudEvent.eventId()).isEqualTo("e-1");
    }

    @Test
    void aDraftTakesWhatOnlyItsCallerKnows() {
        Task task = publisher.draft("quotes", "{}".getBytes(StandardCharsets.UTF_8),
                        PublishOptions.builder().kind(TaskKind.INTERACTIVE).build())
                .replyTo("p.replies").deadline(NOW.plusSeconds(30)).build();
        assertThat(task.replyTo()).isEqualTo("p.replies");
        assertThat(task.deadline()).isEqualTo(NOW.plusSeconds(30));
        assertThat(task.kind()).isEqualTo(TaskKind.INTERACTIVE);
    }

    @Test
    void aTaskDueLaterGoesToTheDelayedTopicAndOneDueNowToItsOwn() {
        Task task = publisher.toTask("orders", new byte[0], PublishOptions.defaults());
        assertThat(publisher.publish(task, NOW.plusSeconds(60)).join()).isEqualTo(task.id());
        assertThat(publisher.publish(task, null).join()).isEqualTo(task.id());
        assertThat(producer.history()).extracting(r -> r.topic()).containsExactly("p.delayed", "orders");
        assertThat(new String(producer.history().get(1).headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8))
                .isEqualTo(task.id().toString());
    }

    @Test
    void aScheduledPublishCountsFromTheInjectedClock() {
        assertThat(publisher.deliverAt(PublishOptions.builder().scheduleIn(Duration.ofMinutes(5)).build()))
                .isEqualTo(NOW.plusSeconds(300));
        assertThat(publisher.deliverAt(PublishOptions.defaults())).isNull();
    }
}
