package dev.conveyor.producer;

import static org.assertj.core.api.Assertions.assertThat;

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
