package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.Test;

/**
 * An HTTP request's task is built by {@code Publisher.draft} from {@link EventOptions}: the same
 * task, field for field, as the ingress built by hand before it shared the Java API's path.
 */
class EventOptionsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private final Publisher publisher = new Publisher(new MockProducer<>(), "conveyor.", Clock.fixed(NOW, ZoneOffset.UTC));
    private final byte[] payload = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aPlainEventIsATaskOfItsEndpoint() {
        EventBody body = new EventBody(payload, "application/json", null, null, null, null, Map.of());
        EventHeaders h = new EventHeaders("k-1", "https://example.com/cb", "t-1", null, null, "customer-7", null);
        Task task = publisher.toTask("orders", payload, EventOptions.event("orders", TaskKind.BACKGROUND, body, h));
        Task expected = Task.builder().topic("orders").kind(TaskKind.BACKGROUND).payload(payload)
                .contentType("application/json").createdAt(NOW).traceId("t-1").callbackUrl("https://example.com/cb")
                .idempotencyKey("k-1").key("customer-7").source("/v1/events/orders").type("orders").build();
        assertThat(task).usingRecursiveComparison().ignoringFields("id", "eventId").isEqualTo(expected);
        assertThat(task.eventId()).isEqualTo(task.id().toString());
    }

    @Test
    void xEventTypeNamesThePlainEventsType() {
        EventBody body = new EventBody(new byte[0], null, null, null, null, null, Map.of());
        EventHeaders h = new EventHeaders(null, null, null, null, null, null, "order.created");
        Task task = publisher.toTask("orders", body.payload(), EventOptions.event("orders", TaskKind.BACKGROUND, body, h));
        assertThat(task.type()).isEqualTo("order.created");
        assertThat(task.contentType()).isNull();
        assertThat(task.key()).isNull();
    }

    @Test
    void aCloudEventKeepsItsIdSourceTypeTimeAndExtensions() {
        Instant time = Instant.parse("2026-11-01T08:00:00Z");
        Map<String, String> extensions = new LinkedHashMap<>();
        extensions.put("ce_tenant", "acme");
        EventBody body = new EventBody(payload, "application/json", "e-1", "/shop", "order.created", time, extensions);
        EventHeaders h = new EventHeaders(null, null, null, null, null, null, "ignored");
        Task task = publisher.draft("orders", payload, EventOptions.event("orders", TaskKind.INTERACTIVE, body, h))
                .replyTo("conveyor.replies").deadline(NOW.plusSeconds(30)).build();
        Task expected = Task.builder().id(TaskIds.forEvent("/shop", "e-1")).eventId("e-1").topic("orders")
                .kind(TaskKind.INTERACTIVE).payload(payload).contentType("application/json").createdAt(time)
                .source("/shop").type("order.created").header("ce_tenant", "acme")
                .replyTo("conveyor.replies").deadline(NOW.plusSeconds(30)).build();
        assertThat(task).isEqualTo(expected);
        assertThat(task.headers()).isEqualTo(expected.headers());
    }

    @Test
    void aWebhookWithAMessageIdIsTheSameTaskWhenRedelivered() {
        Task task = publisher.toTask("orders", payload, EventOptions.webhook("github", "application/json", "m-1"));
        Task expected = Task.builder().id(TaskIds.forEvent("/v1/webhooks/github", "m-1")).eventId("m-1")
                .idempotencyKey("m-1").topic("orders").type("webhook.github").source("/v1/webhooks/github")
                .kind(TaskKind.WEBHOOK).payload(payload).contentType("application/json").createdAt(NOW)
                .header("conveyor_webhook_source", "github").build();
        assertThat(task).isEqualTo(expected);
        assertThat(task.headers()).isEqualTo(expected.headers());
    }

    @Test
    void aWebhookWithoutAMessageIdGetsAFreshTask() {
        Task task = publisher.toTask("orders", payload, EventOptions.webhook("plain", "text/plain", null));
        assertThat(task.idempotencyKey()).isNull();
        assertThat(task.eventId()).isEqualTo(task.id().toString());
        assertThat(task.header("conveyor_webhook_source")).isEqualTo("plain");
        assertThat(task.contentType()).isEqualTo("text/plain");
    }
}
