package dev.conveyor.producer.http;

import dev.conveyor.producer.PublishOptions;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;

/**
 * What an HTTP request says about its task, as the {@link PublishOptions} the Java API takes: the
 * ingress builds every task with {@code Publisher.draft}, so a task is the same whichever way it
 * came in.
 */
final class EventOptions {

    private EventOptions() {}

    /**
     * An event ({@code /v1/events}, {@code /v1/interactive}): a CloudEvent keeps its id (the task id
     * is derived from source and id, so a resent event is the same task), source, type and time; a
     * plain body gets the endpoint as source and {@code X-Event-Type} (default: the topic) as type.
     */
    static PublishOptions event(String topic, TaskKind kind, EventBody body, EventHeaders h) {
        PublishOptions.Builder o = PublishOptions.builder()
                .kind(kind)
                .contentType(body.contentType())
                .createdAt(body.ceTime())
                .traceId(h.traceId())
                .callbackUrl(h.callbackUrl())
                .idempotencyKey(h.idempotencyKey())
                .key(h.eventKey());
        if (body.isCloudEvent()) {
            o.id(TaskIds.forEvent(body.ceSource(), body.ceId())).eventId(body.ceId()).source(body.ceSource())
                    .type(body.ceType());
        } else {
            o.source("/v1/events/" + topic).type(h.eventType());
        }
        body.extensions().forEach(o::header);
        return o.build();
    }

    /**
     * A verified webhook of source {@code name}: with the sender's message id (null when its scheme
     * has none) the task id is derived from it and it is the idempotency key, so a redelivery is the
     * same task.
     */
    static PublishOptions webhook(String name, String contentType, String messageId) {
        PublishOptions.Builder o = PublishOptions.builder()
                .type("webhook." + name)
                .source("/v1/webhooks/" + name)
                .kind(TaskKind.WEBHOOK)
                .contentType(contentType)
                .header("conveyor_webhook_source", name);
        if (messageId != null) {
            o.id(TaskIds.forEvent("/v1/webhooks/" + name, messageId)).eventId(messageId).idempotencyKey(messageId);
        }
        return o.build();
    }
}
