package dev.conveyor.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

@ConveyorIntegrationTest
class PublisherIT {

    @Test
    void publishesATaskOnlyAcknowledgedOnceKafkaHasIt(TestKafka kafka) {
        String topic = kafka.createTopic("pub", 2);
        try (Publisher publisher = Publisher.connect(kafka.bootstrap(), "p.", Map.of())) {
            UUID id = publisher.publish(topic, "{\"orderId\":\"o-1\"}", PublishOptions.builder().key("c-7")
                    .type("order.created").traceId("t-1").callbackUrl("https://cb.example/x").header("x-tenant", "acme")
                    .build()).join();
            ConsumerRecord<byte[], byte[]> record = read(kafka, topic).get(0);
            Task task = ((Decoded.Ok) new TaskRecordCodec().decode(record)).task();
            assertThat(task.id()).isEqualTo(id);
            assertThat(id.version()).isEqualTo(7);
            assertThat(task.type()).isEqualTo("order.created");
            assertThat(task.key()).isEqualTo("c-7");
            assertThat(task.traceId()).isEqualTo("t-1");
            assertThat(task.callbackUrl()).isEqualTo("https://cb.example/x");
            assertThat(task.header("x-tenant")).isEqualTo("acme");
            assertThat(task.json().path("orderId").asText()).isEqualTo("o-1");
        }
    }

    @Test
    void scheduledPublishGoesToTheDelayedTopic(TestKafka kafka) {
        String topic = kafka.createTopic("later", 1);
        String prefix = TestKafka.uniqueName("pfx") + ".";
        kafka.createTopicNamed(prefix + "delayed", 1);
        try (Publisher publisher = Publisher.connect(kafka.bootstrap(), prefix, Map.of())) {
            Instant before = Instant.now();
            UUID id = publisher.publish(topic, "{}", PublishOptions.builder().scheduleIn(Duration.ofSeconds(90)).build())
                    .join();
            DelayedRecords.Delayed delayed = DelayedRecords.decode(read(kafka, prefix + "delayed").get(0));
            assertThat(delayed.task().id()).isEqualTo(id);
            assertThat(delayed.task().topic()).isEqualTo(topic);
            assertThat(delayed.dueAt()).isBetween(before.plusSeconds(90), Instant.now().plusSeconds(90));
        }
    }

    /**
     * The broker writes the record but its answer never comes back: the future fails with a
     * {@link PublishException} that says the record may have been enqueued and carries the task id,
     * and the record is indeed in the topic. Publishing again with that id makes the same task.
     */
    @Test
    void aRecordKafkaDidNotConfirmFailsAsMaybeEnqueuedWithItsTaskId(TestKafka kafka) throws Exception {
        String topic = kafka.createTopic("unconfirmed", 1);
        try (SilentBrokerProxy proxy = new SilentBrokerProxy(kafka.bootstrap());
                Publisher publisher = Publisher.connect(proxy.bootstrap(), "p.", Map.of("linger.ms", 0,
                        "delivery.timeout.ms", 3_000, "request.timeout.ms", 1_000, "max.block.ms", 3_000))) {
            UUID warm = publisher.publish(topic, "{\"warm\":true}", PublishOptions.builder().build()).join();
            int producesBefore = proxy.producesForwarded();
            proxy.silent(true);

            Throwable failure = catchThrowable(() -> publisher.publish(topic, "{\"n\":1}", PublishOptions.builder()
                    .build()).join());

            assertThat(failure).isInstanceOf(CompletionException.class).cause().isInstanceOf(PublishException.class);
            PublishException e = (PublishException) failure.getCause();
            assertThat(e.maybeEnqueued()).isTrue();
            assertThat(e.getMessage()).contains("may have been enqueued");
            assertThat(proxy.producesForwarded()).isGreaterThan(producesBefore);
            UUID id = e.taskId();
            assertThat(id).isNotNull().isNotEqualTo(warm);
            assertThat(taskIds(read(kafka, topic, 2))).containsExactly(warm, id); // written despite the failure

            proxy.silent(false);
            UUID again = publisher.publish(topic, "{\"n\":1}", PublishOptions.builder().id(id).build()).join();
            assertThat(again).isEqualTo(id);
            assertThat(taskIds(read(kafka, topic, 3))).containsExactly(warm, id, id); // one task, two records
        }
    }

    /** A record that never left the client (no broker to take it) fails as definitely not enqueued. */
    @Test
    void aRecordThatNeverLeftTheClientFailsAsNotEnqueued(TestKafka kafka) throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (Publisher publisher = Publisher.connect("127.0.0.1:" + closedPort, "p.", Map.of("max.block.ms", 500))) {
            Throwable failure = catchThrowable(() -> publisher.publish("nowhere", "{}", PublishOptions.builder().build())
                    .join());
            PublishException e = (PublishException) failure.getCause();
            assertThat(e.maybeEnqueued()).isFalse();
            assertThat(e.taskId()).isNotNull();
            assertThat(e.getMessage()).contains("nothing was enqueued");
        }
        String topic = kafka.createTopic("toolarge", 1);
        try (Publisher publisher = Publisher.connect(kafka.bootstrap(), "p.", Map.of("max.request.size", 2_048))) {
            Throwable failure = catchThrowable(() -> publisher.publish(topic, "x".repeat(4_096),
                    PublishOptions.builder().contentType("text/plain").build()).join());
            assertThat(((PublishException) failure.getCause()).maybeEnqueued()).isFalse();
        }
    }

    private static List<UUID> taskIds(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> ((Decoded.Ok) new TaskRecordCodec().decode(r)).task().id()).toList();
    }

    /** Reads {@code topic} from the beginning until {@code count} records arrived, and for 300 ms more. */
    private static List<ConsumerRecord<byte[], byte[]>> read(TestKafka kafka, String topic, int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("g")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(TestKafka kafka, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("g")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.isEmpty() && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }
}
