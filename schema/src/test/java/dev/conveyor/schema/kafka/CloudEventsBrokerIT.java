package dev.conveyor.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestKafka;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** CloudEvents binary mode across a real broker, in both directions, with the official SDK on the other side. */
@ConveyorIntegrationTest
class CloudEventsBrokerIT {

    private final TaskRecordCodec codec = new TaskRecordCodec();

    @Test
    void eventProducedByTheSdkIsDecodedByConveyor(TestKafka kafka) throws Exception {
        String topic = kafka.createTopic("ce-in", 1);
        CloudEvent event = CloudEventBuilder.v1()
                .withId("sdk-" + System.nanoTime())
                .withSource(URI.create("urn:sdk:test"))
                .withType("thing.happened")
                .withTime(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withData("{\"n\":42}".getBytes(StandardCharsets.UTF_8))
                .build();

        Properties props = kafka.producerProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, CloudEventSerializer.class.getName());
        props.put(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY.name());
        try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, "k-1", event)).get();
        }

        List<ConsumerRecord<byte[], byte[]>> records = poll(topic, 1,
                () -> new KafkaConsumer<byte[], byte[]>(kafka.consumerProperties(TestKafka.uniqueName("ce-in"))));
        Decoded decoded = codec.decode(records.get(0));
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        Task task = ((Decoded.Ok) decoded).task();
        assertThat(((Decoded.Ok) decoded).mode()).isEqualTo(Decoded.Mode.BINARY);
        assertThat(task.id()).isEqualTo(TaskIds.forEvent("urn:sdk:test", event.getId()));
        assertThat(task.eventId()).isEqualTo(event.getId());
        assertThat(task.type()).isEqualTo("thing.happened");
        assertThat(task.topic()).isEqualTo(topic);
        assertThat(task.key()).isEqualTo("k-1");
        assertThat(task.createdAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(task.json().path("n").asInt()).isEqualTo(42);
    }

    @Test
    void taskProducedByConveyorIsReadByTheSdk(TestKafka kafka) throws Exception {
        String topic = kafka.createTopic("ce-out", 1);
        Task task = Task.builder()
                .topic(topic)
                .type("report.requested")
                .source("https://conveyor.example")
                .kind(TaskKind.SCHEDULED)
                .key("tenant-9")
                .payload("{\"report\":\"daily\"}", "application/json")
                .build();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            producer.send(codec.encode(task)).get();
        }

        Properties props = kafka.consumerProperties(TestKafka.uniqueName("ce-out"));
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class.getName());
        List<ConsumerRecord<byte[], CloudEvent>> records = poll(topic, 1,
                () -> new KafkaConsumer<byte[], CloudEvent>(props));
        CloudEvent event = records.get(0).value();
        assertThat(event.getId()).isEqualTo(task.id().toString());
        assertThat(event.getType()).isEqualTo("report.requested");
        assertThat(event.getSource()).isEqualTo(URI.create("https://conveyor.example"));
        assertThat(event.getDataContentType()).isEqualTo("application/json");
        assertThat(new String(event.getData().toBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"report\":\"daily\"}");
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("tenant-9");
        // Conveyor's own headers travel beside the CloudEvents attributes.
        assertThat(new String(records.get(0).headers().lastHeader("conveyor_kind").value(), StandardCharsets.UTF_8))
                .isEqualTo("scheduled");
    }

    private static <V> List<ConsumerRecord<byte[], V>> poll(String topic, int count,
            Supplier<KafkaConsumer<byte[], V>> factory) {
        List<ConsumerRecord<byte[], V>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], V> consumer = factory.get()) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).as("records consumed from " + topic).hasSize(count);
        return out;
    }
}
