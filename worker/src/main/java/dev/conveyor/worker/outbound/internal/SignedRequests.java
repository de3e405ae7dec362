package dev.conveyor.worker.outbound.internal;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.outbound.CallbackSettings;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.core5.http.ContentType;

/**
 * Builds the HTTP request of one outbox row: a callback POSTs the task document; a notification
 * uses its configured method, headers and payload template. Every request carries the Standard
 * Webhooks headers ({@code webhook-id} = {@code <task id>.<status>}, so a receiver can dedupe a
 * delivery made twice after a lease ended), signed when {@code callbacks.secret} is set.
 */
final class SignedRequests {

    static final String NOTIFICATION_PREFIX = "notification:";
    private static final ContentType JSON = ContentType.create("application/json", (java.nio.charset.Charset) null);

    private final OutboundSettings settings;
    private final Clock clock;
    private final byte[] signingKey;

    SignedRequests(OutboundSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        String secret = settings.callbacks().secret();
        this.signingKey = secret == null ? null : CallbackSettings.signingKey(secret);
    }

    /**
     * The request for {@code row}, or null when the row names a notification that is no longer configured.
     *
     * @param callbackBody the task document of a callback, read only when the row is a callback
     */
    SimpleHttpRequest build(OutboxRecord row, TasksRecord task, URI url, Supplier<byte[]> callbackBody) {
        byte[] body;
        SimpleHttpRequest request;
        if (row.getKind().equals("callback")) {
            body = callbackBody.get();
            request = SimpleHttpRequest.create("POST", url);
        } else {
            NotificationSettings n = settings.notification(notificationName(row)).orElse(null);
            if (n == null) {
                return null;
            }
            String method = n.method();
            body = method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? new byte[0]
                    : Json.toBytes(n.payload().render(TaskRecords.parameters(task)));
            request = SimpleHttpRequest.create(method, url);
            n.headers().forEach(request::setHeader);
        }
        String webhookId = row.getTaskId() + "." + row.getStatus().wireName();
        long timestamp = clock.instant().getEpochSecond();
        request.setHeader("User-Agent", "Conveyor");
        request.setHeader("webhook-id", webhookId);
        request.setHeader("webhook-timestamp", Long.toString(timestamp));
        if (signingKey != null) {
            request.setHeader("webhook-signature", Signatures.sign(signingKey, webhookId, timestamp, body));
        }
        if (body.length > 0) {
            request.setBody(body, JSON);
        }
        return request;
    }

    /** The notification name of a {@code notification:<name>} target. */
    static String notificationName(OutboxRecord row) {
        return row.getTarget().substring(NOTIFICATION_PREFIX.length());
    }
}
