package dev.conveyor.schema.kafka;

import static dev.conveyor.schema.kafka.Records.consumed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Interop with a CloudEvents client we did not write: the official Java SDK's Kafka
 * serializer and deserializer (io.cloudevents:cloudevents-kafka).
 */
class CloudEventsSdkInteropTest {

    private final TaskRecordCodec codec = new TaskRecordCodec();

    private static CloudEvent sdkEvent(String id) {
        return CloudEventBuilder.v1()
                .withId(id)
                .withSource(URI.create("https://billing.example/invoices"))
                .withType("invoice.issued")
                .withTime(OffsetDateTime.of(2026, 11, 22, 9, 30, 0, 0, ZoneOffset.ofHours(2)))
                .withDataContentType("application/json")
                .withSubject("invoice/77")
                .withExtension("partitionkey", "customer-3")
                .withData("{\"invoice\":77,\"total\":\"19.90\"}".getBytes(StandardCharsets.UTF_8))
                .build();
    }

    private static ProducerRecord<byte[], byte[]> serializeWithSdk(CloudEvent event, Encoding encoding) {
        RecordHeaders headers = new RecordHeaders();
        try (CloudEventSerializer serializer = new CloudEventSerializer()) {
            serializer.configure(Map.of(
                    CloudEventSerializer.ENCODING_CONFIG, encoding,
                    CloudEventSerializer.EVENT_FORMAT_CONFIG, JsonFormat.CONTENT_TYPE), false);
            byte[] value = serializer.serialize("invoices", headers, event);
            return new ProducerRecord<>("invoices", null, null, "customer-3".getBytes(StandardCharsets.UTF_8), value,
                    headers);
        }
    }

    @Test
    void sdkBinaryModeRecordDecodesToTheSameTaskFields() {
        CloudEvent event = sdkEvent("inv-77");
        Decoded decoded = codec.decode(consumed(serializeWithSdk(event, Encoding.BINARY), 0, 5));

        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        Decoded.Ok ok = (Decoded.Ok) decoded;
        assertThat(ok.mode()).isEqualTo(Decoded.Mode.BINARY);
        assertSameEvent(ok.task(), event);
    }

    @Test
    void sdkStructuredModeRecordDecodesToTheSameTaskFields() {
        CloudEvent event = sdkEvent("inv-78");
        Decoded decoded = codec.decode(consumed(serializeWithSdk(event, Encoding.STRUCTURED), 0, 6));

        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        Decoded.Ok ok = (Decoded.Ok) decoded;
        assertThat(ok.mode()).isEqualTo(Decoded.Mode.STRUCTURED);
        assertSameEvent(ok.task(), event);
    }

    private static void assertSameEvent(Task task, CloudEvent event) {
        assertThat(task.eventId()).isEqualTo(event.getId());
        assertThat(task.id()).isEqualTo(TaskIds.forEvent(event.getSource().toString(), event.getId()));
        assertThat(task.source()).isEqualTo(event.getSource().toString());
        assertThat(task.type()).isEqualTo(event.getType());
        assertThat(task.createdAt()).isEqualTo(event.getTime().toInstant());
        assertThat(task.contentType()).isEqualTo(event.getDataContentType());
        assertThat(task.json().path("invoice").asInt()).isEqualTo(77);
        assertThat(task.json().path("total").asText()).isEqualTo("19.90");
        assertThat(task.header("ce_subject")).isEqualTo("invoice/77");
        assertThat(task.header("ce_partitionkey")).isEqualTo("customer-3");
        assertThat(task.key()).isEqualTo("customer-3");
        assertThat(task.kind()).isEqualTo(TaskKind.BACKGROUND);
        assertThat(task.attempt()).isEqualTo(1);
    }

    @Test
    void ourRecordIsReadBackByTheSdkDeserializer() {
        Task task = Task.builder()
                .topic("orders")
                .type("order.created")
                .source("https://shop.example")
                .payload("{\"order\":1}", "application/json")
                .createdAt(Instant.parse("2026-11-22T10:15:30.5Z"))
                .traceId("trace-5")
                .header("ce_subject", "order/1")
                .build();
        ProducerRecord<byte[], byte[]> record = codec.encode(task);

        CloudEvent event;
        try (CloudEventDeserializer deserializer = new CloudEventDeserializer()) {
            deserializer.configure(Map.of(), false);
            event = deserializer.deserialize(record.topic(), record.headers(), record.value());
        }
        assertThat(event.getSpecVersion().toString()).isEqualTo("1.0");
        assertThat(event.getId()).isEqualTo(task.id().toString());
        assertThat(event.getSource()).isEqualTo(URI.create("https://shop.example"));
        assertThat(event.getType()).isEqualTo("order.created");
        assertThat(event.getTime().toInstant()).isEqualTo(task.createdAt());
        assertThat(event.getDataContentType()).isEqualTo("application/json");
        assertThat(event.getSubject()).isEqualTo("order/1");
        assertThat(new String(event.getData().toBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"order\":1}");
    }
}
