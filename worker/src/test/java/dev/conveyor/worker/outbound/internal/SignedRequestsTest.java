package dev.conveyor.worker.outbound.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.worker.outbound.CallbackSettings;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.junit.jupiter.api.Test;

class SignedRequestsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final UUID TASK = UUID.fromString("01a237d9-d6f2-7625-a4ba-426ffb9c195a");
    private static final URI URL = URI.create("https://receiver.example/hook");
    private static final byte[] DOCUMENT = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void callbackPostsTheTaskDocumentWithWebhookHeaders() {
        SimpleHttpRequest r = requests(null).build(callback(), task(), URL, () -> DOCUMENT);

        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getBody().getBodyBytes()).isEqualTo(DOCUMENT);
        assertThat(r.getBody().getContentType().getMimeType()).isEqualTo("application/json");
        assertThat(header(r, "webhook-id")).isEqualTo(TASK + ".done");
        assertThat(header(r, "webhook-timestamp")).isEqualTo(Long.toString(NOW.getEpochSecond()));
        assertThat(header(r, "User-Agent")).isEqualTo("Conveyor");
        assertThat(r.getFirstHeader("webhook-signature")).isNull();
    }

    @Test
    void withASecretTheBodyIsSignedTheStandardWebhooksWay() {
        String secret = "whsec_c2VjcmV0LWtleQ==";
        SimpleHttpRequest r = requests(secret).build(callback(), task(), URL, () -> DOCUMENT);

        assertThat(header(r, "webhook-signature")).isEqualTo(Signatures.sign(CallbackSettings.signingKey(secret),
                TASK + ".done", NOW.getEpochSecond(), DOCUMENT));
    }

    @Test
    void notificationUsesItsMethodHeadersAndTemplate() {
        AtomicInteger documentsRead = new AtomicInteger();
        SimpleHttpRequest r = requests(null).build(notification("ops"), task(), URL, () -> {
            documentsRead.incrementAndGet();
            return DOCUMENT;
        });

        assertThat(r.getMethod()).isEqualTo("PUT");
        assertThat(header(r, "X-Team")).isEqualTo("payments");
        assertThat(new String(r.getBody().getBodyBytes(), StandardCharsets.UTF_8))
                .contains("\"id\":\"" + TASK + "\"").contains("\"status\":\"done\"");
        assertThat(documentsRead).hasValue(0);
    }

    @Test
    void bodilessMethodsSendNoBody() {
        SimpleHttpRequest r = requests(null).build(notification("ping"), task(), URL, () -> DOCUMENT);

        assertThat(r.getMethod()).isEqualTo("GET");
        assertThat(r.getBody()).isNull();
        assertThat(header(r, "webhook-id")).isEqualTo(TASK + ".done");
    }

    @Test
    void aNotificationNoLongerConfiguredBuildsNothing() {
        OutboxRecord row = notification("gone");
        assertThat(requests(null).build(row, task(), URL, () -> DOCUMENT)).isNull();
        assertThat(SignedRequests.notificationName(row)).isEqualTo("gone");
    }

    private static SignedRequests requests(String secret) {
        List<NotificationSettings> notifications = List.of(
                new NotificationSettings("ops", Set.of(), Set.of(), URL, "PUT", Map.of("X-Team", "payments"), null),
                new NotificationSettings("ping", Set.of(), Set.of(), URL, "GET", Map.of(), null));
        return new SignedRequests(new OutboundSettings(new CallbackSettings(secret, 10, false), notifications,
                OutboundSettings.Tuning.defaults()), CLOCK);
    }

    private static OutboxRecord callback() {
        return row("callback", "callback");
    }

    private static OutboxRecord notification(String name) {
        return row("notification", "notification:" + name);
    }

    private static OutboxRecord row(String kind, String target) {
        return new OutboxRecord().setId(1L).setTaskId(TASK).setStatus(TaskStatus.DONE).setKind(kind)
                .setTarget(target).setUrl(URL.toString()).setState("pending").setAttempts(0);
    }

    private static TasksRecord task() {
        return new TasksRecord().setId(TASK).setTopic("orders").setType("invoice").setStatus(TaskStatus.DONE)
                .setAttempt(1).setOutput("ok").setFinishedAt(NOW);
    }

    private static String header(SimpleHttpRequest r, String name) {
        return r.getFirstHeader(name).getValue();
    }
}
