package dev.conveyor.producer.http;

import dev.conveyor.producer.PublishException;
import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Task;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the task of an HTTP request on Kafka through the {@link Publisher} (the same path as the Java
 * API) and waits for Kafka's acknowledgement, turning a failure into the 503 the client gets. With
 * an idempotency key, claims it first and records the outcome (see {@link IdempotencyKeys}).
 */
final class TaskEnqueuer {

    private static final Logger log = LoggerFactory.getLogger(TaskEnqueuer.class);

    /** The 503 detail of an interactive request whose record may have been enqueued. */
    static final String MAY_BE_ENQUEUED_INTERACTIVE = "Kafka did not confirm the request in time; it may have been "
            + "enqueued, and the extension may still run it";
    /**
     * The 503 detail of an operator retry whose record Kafka did not confirm: the task was put back
     * as it was (see {@code StatusStore.retry}), so a record that did land is not run.
     */
    static final String MAY_BE_ENQUEUED_RETRY = "Kafka did not confirm the retried task in time; the task was put "
            + "back as it was: retry again";
    /** The 503 detail when an event may have been enqueued despite the failure. */
    static final String MAY_BE_ENQUEUED_EVENT = "Kafka did not confirm the event in time; it may have been enqueued: "
            + "retry with the same Idempotency-Key";
    static final String NOT_ENQUEUED = "Kafka did not accept the event; nothing was enqueued";

    /**
     * The task a request was answered with.
     *
     * @param id its id
     * @param replayed true when an earlier request with the same idempotency key created it
     */
    record Accepted(UUID id, boolean replayed) {}

    private final Publisher publisher;
    private final IdempotencyKeys idempotency;
    private final IngressMetrics metrics;
    private final Clock clock;

    TaskEnqueuer(Publisher publisher, IdempotencyKeys idempotency, IngressMetrics metrics, Clock clock) {
        this.publisher = publisher;
        this.idempotency = idempotency;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Claims the idempotency key (if any), produces, and records the key once Kafka acknowledged.
     * When Kafka does not confirm the event the key is freed only if nothing was enqueued; if the
     * event may have been written it stays with this task id ({@code unconfirmed}), and a retry with
     * the same key is enqueued again under that id (see {@link IdempotencyKeys}).
     *
     * @param scope what the key is unique within ({@code topic:<t>}, {@code webhook:<source>}); null without a key
     * @param key the idempotency key, or null
     * @param deliverAt when a scheduled event is due, or null for now
     */
    Accepted enqueue(Task task, String scope, String key, Instant deliverAt) {
        if (key != null) {
            switch (claim(scope, key, task.id())) {
                case IdempotencyKeys.Claim.Existing e -> {
                    return new Accepted(e.taskId(), true);
                }
                case IdempotencyKeys.Claim.InProgress p -> throw new HttpError(409, "conflict",
                        "a request with this Idempotency-Key is still being processed; retry shortly",
                        Map.of("Retry-After", "1"));
                case IdempotencyKeys.Claim.Claimed c -> {
                    if (!c.taskId().equals(task.id())) {
                        // An earlier request with this key may have been enqueued: this is its retry,
                        // and must decode to the same task (the CloudEvents id is what the worker reads).
                        task = task.toBuilder().id(c.taskId()).eventId(c.taskId().toString()).build();
                    }
                }
            }
        }
        try {
            produce(task, deliverAt, MAY_BE_ENQUEUED_EVENT);
        } catch (RuntimeException e) {
            if (key != null) {
                if (e instanceof HttpError h && h.taskId() != null) {
                    idempotency.unconfirmed(scope, key, task.id());
                } else {
                    idempotency.release(scope, key, task.id());
                }
            }
            throw e;
        }
        if (key != null) {
            try {
                idempotency.accept(scope, key, task.id());
            } catch (DataAccessException e) {
                // Kafka has the event: it is accepted. The key stays pending under this task id, so a
                // retry with it gets 409 until the claim is abandoned, then takes it over with this id.
                log.warn("Task {} was enqueued but its Idempotency-Key {} could not be recorded: {}", task.id(), key,
                        e.getMessage());
            }
        }
        metrics.accepted(task.topic(), task.kind(), deliverAt != null);
        return new Accepted(task.id(), false);
    }

    private IdempotencyKeys.Claim claim(String scope, String key, UUID taskId) {
        try {
            return idempotency.claim(scope, key, taskId, clock.instant());
        } catch (DataAccessException e) {
            // The key cannot be checked, so nothing is produced: a definite refusal the client may retry.
            log.warn("Idempotency key {} could not be claimed: {}", key, e.getMessage());
            throw new HttpError(503, "unavailable", "the database is not reachable to check the Idempotency-Key; "
                    + "nothing was enqueued", Map.of("Retry-After", "5"));
        }
    }

    /**
     * Publishes the task and waits for Kafka's acknowledgement; 503 when Kafka does not take it. The
     * wait has no timer of its own: the producer bounds every send ({@code max.block.ms} to enqueue,
     * {@code delivery.timeout.ms} to be acknowledged, 5 s and 8 s unless {@code kafka.client.*} says
     * otherwise) and fails the send when a bound passes. A timed wait armed a timer per request on
     * the virtual-thread scheduler for nothing. After the acknowledgement the wait includes the
     * task's {@code queued} row ({@link dev.conveyor.producer.AcceptedTasks}: one group commit for
     * the concurrent requests, given up after its own bound, one watchdog for all), so the client's
     * answer comes when {@code GET statusUrl} finds the task.
     *
     * <p>Two 503s: {@value #NOT_ENQUEUED} when the record certainly was not written (it never left
     * the producer, or the broker refused it); otherwise, when the record may have been written (a
     * delivery or request timeout, a broken connection, or this wait interrupted), {@code
     * maybeEnqueuedDetail} with the task id in the body as {@code "id"} (an {@link HttpError} with a
     * task id).
     *
     * @param deliverAt when a scheduled task is due (it goes to the delayed topic), or null for now
     */
    void produce(Task task, Instant deliverAt, String maybeEnqueuedDetail) {
        try {
            publisher.publish(task, deliverAt).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            boolean maybe = !(cause instanceof PublishException pe) || pe.maybeEnqueued();
            log.warn("Kafka did not {} a record of task {} for {}{}: {}", maybe ? "confirm" : "accept", task.id(),
                    task.topic(), deliverAt == null ? "" : " (delayed)",
                    cause.getCause() != null ? cause.getCause().toString() : cause.toString());
            throw maybe ? maybeEnqueued(task.id(), maybeEnqueuedDetail)
                    : new HttpError(503, "unavailable", NOT_ENQUEUED, Map.of("Retry-After", "5"));
        } catch (InterruptedException e) {
            // The record is in the producer's hands and may still be written.
            Thread.currentThread().interrupt();
            throw maybeEnqueued(task.id(), maybeEnqueuedDetail);
        }
    }

    private static HttpError maybeEnqueued(UUID taskId, String detail) {
        return new HttpError(503, "unavailable", detail, Map.of("Retry-After", "5"), taskId);
    }
}
