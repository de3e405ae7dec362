package dev.conveyor.schema.kafka;

import static dev.conveyor.schema.kafka.Records.consumed;
import static dev.conveyor.schema.kafka.Records.headers;
import static dev.conveyor.schema.kafka.Records.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class TaskRecordCodecTest {

    private final TaskRecordCodec codec = new TaskRecordCodec();

    private static Task fullTask() {
        return Task.builder()
                .topic("orders")
                .type("order.created")
                .source("https://shop.example")
                .kind(TaskKind.INTERACTIVE)
                .key("customer-7")
                .attempt(3)
                .payload("{\"sku\":\"A-1\",\"qty\":2}", "application/json")
                .createdAt(Instant.parse("2026-11-22T10:15:30.123456Z"))
                .traceId("trace-1")
                .callbackUrl("https://hooks.example/done")
                .replyTo("conveyor.replies")
                .deadline(Instant.parse("2026-11-22T10:16:00Z"))
                .idempotencyKey("idem-9")
                .header("x-tenant", "acme")
                .header("ce_partitionkey", "customer-7")
                .build();
    }

    @Test
    void encodesBinaryModeHeadersKeyAndValue() {
        Task task = fullTask();
        ProducerRecord<byte[], byte[]> record = codec.encode(task);
        assertThat(record.topic()).isEqualTo("orders");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("customer-7");
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("{\"sku\":\"A-1\",\"qty\":2}");
        assertThat(header(record, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(record, "ce_id")).isEqualTo(task.id().toString());
        assertThat(header(record, "ce_source")).isEqualTo("https://shop.example");
        assertThat(header(record, "ce_type")).isEqualTo("order.created");
        assertThat(header(record, "ce_time")).isEqualTo("2026-11-22T10:15:30.123456Z");
        assertThat(header(record, "content-type")).isEqualTo("application/json");
        assertThat(header(record, "conveyor_kind")).isEqualTo("interactive");
        assertThat(header(record, "conveyor_attempt")).isEqualTo("3");
        assertThat(header(record, "conveyor_trace_id")).isEqualTo("trace-1");
        assertThat(header(record, "conveyor_callback_url")).isEqualTo("https://hooks.example/done");
        assertThat(header(record, "conveyor_reply_to")).isEqualTo("conveyor.replies");
        assertThat(header(record, "conveyor_deadline")).isEqualTo("2026-11-22T10:16:00Z");
        assertThat(header(record, "conveyor_idempotency_key")).isEqualTo("idem-9");
        assertThat(header(record, "x-tenant")).isEqualTo("acme");
    }

    @Test
    void binaryRoundTripGivesAnEqualTask() {
        Task task = fullTask();
        Decoded decoded = codec.decode(consumed(codec.encode(task), 0, 17));
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        Decoded.Ok ok = (Decoded.Ok) decoded;
        assertThat(ok.mode()).isEqualTo(Decoded.Mode.BINARY);
        assertThat(ok.task()).isEqualTo(task);
        assertThat(ok.task().json().path("qty").asInt()).isEqualTo(2);
    }

    @Test
    void nonUuidEventIdMapsToAStableTaskIdAndKeepsTheOriginal() {
        var headers = headers("ce_specversion", "1.0", "ce_id", "order-42", "ce_source", "/shop", "ce_type", "t");
        Task first = ((Decoded.Ok) codec.decode(consumed("orders", 0, 1, null, utf8("x"), headers))).task();
        Task again = ((Decoded.Ok) codec.decode(consumed("orders", 1, 99, null, utf8("x"), headers))).task();
        assertThat(first.id()).isEqualTo(again.id()).isEqualTo(TaskIds.forEvent("/shop", "order-42"));
        assertThat(first.eventId()).isEqualTo("order-42");
        assertThat(first.createdAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));

        // Re-encoding (e.g. by the scheduler) keeps the original id, so the task id stays the same.
        Task redelivered = ((Decoded.Ok) codec.decode(consumed(codec.encode(first.toBuilder().attempt(2).build()), 0, 5)))
                .task();
        assertThat(redelivered.id()).isEqualTo(first.id());
        assertThat(redelivered.eventId()).isEqualTo("order-42");
        assertThat(redelivered.attempt()).isEqualTo(2);
    }

    @Test
    void plainRecordIsATaskWithADerivedStableId() {
        var record = consumed("clicks", 2, 40, utf8("user-1"), utf8("  {\"page\":\"/\"}"), headers("x-app", "web"));
        Decoded.Ok ok = (Decoded.Ok) codec.decode(record);
        Task task = ok.task();
        assertThat(ok.mode()).isEqualTo(Decoded.Mode.PLAIN);
        assertThat(task.id()).isEqualTo(TaskIds.forRecord("clicks", 2, 40));
        assertThat(task.type()).isEqualTo("clicks");
        assertThat(task.topic()).isEqualTo("clicks");
        assertThat(task.kind()).isEqualTo(TaskKind.BACKGROUND);
        assertThat(task.attempt()).isEqualTo(1);
        assertThat(task.contentType()).isEqualTo("application/json");
        assertThat(task.key()).isEqualTo("user-1");
        assertThat(task.header("x-app")).isEqualTo("web");
        assertThat(task.json().path("page").asText()).isEqualTo("/");
        assertThat(task.createdAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));

        var text = consumed("clicks", 0, 1, null, utf8("hello"), headers());
        assertThat(((Decoded.Ok) codec.decode(text)).task().contentType()).isNull();
        var typed = consumed("clicks", 0, 2, null, utf8("a=1"), headers("content-type", "application/x-www-form-urlencoded"));
        assertThat(((Decoded.Ok) codec.decode(typed)).task().json().path("a").asText()).isEqualTo("1");
    }

    @Test
    void structuredModeIsDecoded() {
        String event = """
                {"specversion":"1.0","id":"e-1","source":"urn:shop","type":"order.paid",
                 "time":"2026-11-22T08:00:00+01:00","datacontenttype":"application/json",
                 "subject":"order/7","tenant":"acme","data":{"amount":12.5}}""";
        var record = consumed("orders", 0, 3, null, utf8(event),
                headers("content-type", "application/cloudevents+json; charset=UTF-8", "conveyor_attempt", "2"));
        Decoded.Ok ok = (Decoded.Ok) codec.decode(record);
        Task task = ok.task();
        assertThat(ok.mode()).isEqualTo(Decoded.Mode.STRUCTURED);
        assertThat(task.id()).isEqualTo(TaskIds.forEvent("urn:shop", "e-1"));
        assertThat(task.type()).isEqualTo("order.paid");
        assertThat(task.createdAt()).isEqualTo(Instant.parse("2026-11-22T07:00:00Z"));
        assertThat(task.contentType()).isEqualTo("application/json");
        assertThat(task.json().path("amount").asDouble()).isEqualTo(12.5);
        assertThat(task.header("ce_subject")).isEqualTo("order/7");
        assertThat(task.header("ce_tenant")).isEqualTo("acme");
        assertThat(task.attempt()).isEqualTo(2);
    }

    @Test
    void structuredModeWithBase64Data() {
        String event = """
                {"specversion":"1.0","id":"e-2","source":"s","type":"t","datacontenttype":"application/octet-stream",
                 "data_base64":"AAEC"}""";
        Task task = ((Decoded.Ok) codec.decode(consumed("x", 0, 0, null, utf8(event),
                headers("content-type", "application/cloudevents+json")))).task();
        assertThat(task.payload()).containsExactly(0, 1, 2);
    }

    @Test
    void invalidCloudEventsArePoisonNamingWhatIsWrong() {
        assertPoison(headers("ce_specversion", "1.0", "ce_source", "s", "ce_type", "t"), "ce_id is missing");
        assertPoison(headers("ce_specversion", "9.9", "ce_id", "1", "ce_source", "s", "ce_type", "t"),
                "ce_specversion '9.9' is not a known CloudEvents version");
        assertPoison(headers("ce_id", "1", "ce_source", "s", "ce_type", "t"), "ce_specversion is missing");
        assertPoison(headers("ce_specversion", "1.0", "ce_id", "1", "ce_source", "s"), "ce_type is missing");
        assertPoison(headers("ce_specversion", "1.0", "ce_id", "1", "ce_source", "s", "ce_type", "t", "ce_time",
                "yesterday"), "ce_time 'yesterday' is not an RFC 3339 timestamp");
        assertPoison(headers("ce_specversion", "1.0", "ce_id", "1", "ce_source", "s", "ce_type", "t",
                "conveyor_attempt", "zero"), "conveyor_attempt must be a whole number");
        assertPoison(headers("ce_specversion", "1.0", "ce_id", "1", "ce_source", "s", "ce_type", "t",
                "conveyor_kind", "batch"), "conveyor_kind: 'batch' is not a task kind");
    }

    @Test
    void poisonCarriesTheTaskIdWhenItIsKnown() {
        var headers = headers("ce_specversion", "1.0", "ce_id", "e-7", "ce_source", "s", "ce_type", "t",
                "conveyor_attempt", "-1");
        Decoded.Poison poison = (Decoded.Poison) codec.decode(consumed("orders", 0, 0, null, utf8("{}"), headers));
        assertThat(poison.taskId()).isEqualTo(TaskIds.forEvent("s", "e-7"));
    }

    @Test
    void structuredValueThatIsNotJsonIsPoison() {
        Decoded decoded = codec.decode(consumed("orders", 0, 0, null, utf8("{not json"),
                headers("content-type", "application/cloudevents+json")));
        assertThat(decoded).isInstanceOf(Decoded.Poison.class);
        assertThat(((Decoded.Poison) decoded).reason()).startsWith("structured-mode value is not valid JSON");

        Decoded batch = codec.decode(consumed("orders", 0, 0, null, utf8("[]"),
                headers("content-type", "application/cloudevents-batch+json")));
        assertThat(((Decoded.Poison) batch).reason()).contains("is not supported");

        Decoded missingId = codec.decode(consumed("orders", 0, 0, null,
                utf8("{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"t\"}"),
                headers("content-type", "application/cloudevents+json")));
        assertThat(((Decoded.Poison) missingId).reason()).isEqualTo("id is missing: a CloudEvent must carry the event id");
    }

    @Test
    void taskHeadersCannotOverrideReservedOnes() {
        Task task = Task.builder().topic("t").header("ce_id", "spoofed").header("conveyor_attempt", "99").build();
        ProducerRecord<byte[], byte[]> record = codec.encode(task);
        assertThat(record.headers().headers("ce_id")).hasSize(1);
        assertThat(header(record, "ce_id")).isEqualTo(task.id().toString());
        assertThat(header(record, "conveyor_attempt")).isEqualTo("1");
    }

    private void assertPoison(org.apache.kafka.common.header.Headers headers, String reasonStart) {
        Decoded decoded = codec.decode(consumed("orders", 0, 0, null, utf8("{}"), headers));
        assertThat(decoded).isInstanceOf(Decoded.Poison.class);
        assertThat(((Decoded.Poison) decoded).reason()).startsWith(reasonStart);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void uuidEventIdIsTheTaskId() {
        UUID id = UUID.randomUUID();
        var headers = headers("ce_specversion", "1.0", "ce_id", id.toString(), "ce_source", "s", "ce_type", "t");
        assertThat(((Decoded.Ok) codec.decode(consumed("o", 0, 0, null, null, headers))).task().id()).isEqualTo(id);
    }
}
