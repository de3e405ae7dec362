package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.IDEMPOTENCY_KEYS;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Idempotency keys ({@code idempotency_keys}): the first request with a key claims it for its
 * task, repeats within the window get that task back. A claim is {@code pending} until Kafka
 * acknowledged the event; a concurrent repeat meanwhile gets 409, and a claim whose request died
 * (still pending after a minute) can be taken over, so a crash never locks a key for 24 h.
 *
 * <p>A claim whose produce failed is freed only when the event was definitely not enqueued. When
 * Kafka did not confirm it in time (the record may have been written) it becomes
 * {@code unconfirmed}: the next request with the key takes it over <em>keeping its task id</em> and
 * enqueues the event again under that id, so a record that did land and the retried one are the
 * same task. An abandoned {@code pending} claim (the ingress died mid-produce) is taken over the
 * same way, for the same reason.
 */
public final class IdempotencyKeys {

    /** A key is free again this long after first use, unless {@code retention.idempotency-keys} says otherwise. */
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

    /** The outcome of {@link #claim}. */
    public sealed interface Claim {
        /**
         * This request owns the key; enqueue under {@code taskId}, then {@link #accept} (or
         * {@link #release} / {@link #unconfirmed} on failure). {@code taskId} is the requested id, or
         * the id of an earlier request whose outcome is unknown, which this one must reuse.
         */
        record Claimed(UUID taskId) implements Claim {}

        /** An earlier request with the key created {@code taskId}. */
        record Existing(UUID taskId) implements Claim {}

        /** An earlier request with the key is still being enqueued. */
        record InProgress() implements Claim {}
    }

    private final DSLContext dsl;
    private final Duration window;

    /** Keys taken for {@link #DEFAULT_WINDOW}. */
    public IdempotencyKeys(DSLContext dsl) {
        this(dsl, DEFAULT_WINDOW);
    }

    /** Keys taken for {@code window} after first use; the pruner deletes them after the same time. */
    public IdempotencyKeys(DSLContext dsl, Duration window) {
        this.dsl = dsl;
        this.window = window;
    }

    public Claim claim(String scope, String key, UUID taskId, Instant now) {
        var expired = IDEMPOTENCY_KEYS.CREATED_AT.lt(now.minus(window));
        UUID won = dsl.insertInto(IDEMPOTENCY_KEYS)
                .set(IDEMPOTENCY_KEYS.SCOPE, scope)
                .set(IDEMPOTENCY_KEYS.KEY, key)
                .set(IDEMPOTENCY_KEYS.TASK_ID, taskId)
                .set(IDEMPOTENCY_KEYS.STATE, "pending")
                .set(IDEMPOTENCY_KEYS.CREATED_AT, now)
                .onConflict(IDEMPOTENCY_KEYS.SCOPE, IDEMPOTENCY_KEYS.KEY)
                .doUpdate()
                // A key past its window starts over; an unconfirmed or abandoned one keeps its task:
                // its event may be in Kafka, and the retry must be the same task, not a second one.
                .set(IDEMPOTENCY_KEYS.TASK_ID, DSL.when(expired, DSL.excluded(IDEMPOTENCY_KEYS.TASK_ID))
                        .otherwise(IDEMPOTENCY_KEYS.TASK_ID))
                .set(IDEMPOTENCY_KEYS.STATE, "pending")
                .set(IDEMPOTENCY_KEYS.CREATED_AT, DSL.excluded(IDEMPOTENCY_KEYS.CREATED_AT))
                .where(expired
                        .or(IDEMPOTENCY_KEYS.STATE.eq("unconfirmed"))
                        .or(IDEMPOTENCY_KEYS.STATE.eq("pending").and(IDEMPOTENCY_KEYS.CREATED_AT.lt(now.minus(ABANDONED_AFTER)))))
                .returning(IDEMPOTENCY_KEYS.TASK_ID)
                .fetchOne(IDEMPOTENCY_KEYS.TASK_ID);
        if (won != null) {
            return new Claim.Claimed(won);
        }
        var existing = dsl.select(IDEMPOTENCY_KEYS.TASK_ID, IDEMPOTENCY_KEYS.STATE).from(IDEMPOTENCY_KEYS)
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))).fetchOne();
        if (existing == null) {
            return claim(scope, key, taskId, now); // released meanwhile: try again
        }
        return switch (existing.value2()) {
            case "accepted" -> new Claim.Existing(existing.value1());
            case "unconfirmed" -> claim(scope, key, taskId, now); // became claimable meanwhile: try again
            default -> new Claim.InProgress();
        };
    }

    /** Kafka acknowledged the event: repeats now get its task id. */
    public void accept(String scope, String key, UUID taskId) {
        dsl.update(IDEMPOTENCY_KEYS).set(IDEMPOTENCY_KEYS.STATE, "accepted")
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))
                        .and(IDEMPOTENCY_KEYS.TASK_ID.eq(taskId)))
                .execute();
    }

    /**
     * Kafka did not confirm the event in time, so it may have been written: keep the key with its
     * task id, and let the next request with the key enqueue again under that id.
     */
    public void unconfirmed(String scope, String key, UUID taskId) {
        dsl.update(IDEMPOTENCY_KEYS).set(IDEMPOTENCY_KEYS.STATE, "unconfirmed")
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))
                        .and(IDEMPOTENCY_KEYS.TASK_ID.eq(taskId)))
                .execute();
    }

    /** Enqueuing failed and nothing was enqueued: free the key so the client's retry can succeed. */
    public void release(String scope, String key, UUID taskId) {
        dsl.deleteFrom(IDEMPOTENCY_KEYS)
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))
                        .and(IDEMPOTENCY_KEYS.TASK_ID.eq(taskId)))
                .execute();
    }

}
