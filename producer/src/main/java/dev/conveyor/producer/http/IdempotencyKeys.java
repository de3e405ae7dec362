package dev.conveyor.producer.http;

import static dev.conveyor.schema.db.jooq.Tables.IDEMPOTENCY_KEYS;

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
 */
public final class IdempotencyKeys {

    /** A key is free again this long after first use. */
    public static final Duration WINDOW = Duration.ofHours(24);
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

    /** The outcome of {@link #claim}. */
    public sealed interface Claim {
        /** This request owns the key; enqueue, then {@link #accept} (or {@link #release} on failure). */
        record Claimed() implements Claim {}

        /** An earlier request with the key created {@code taskId}. */
        record Existing(UUID taskId) implements Claim {}

        /** An earlier request with the key is still being enqueued. */
        record InProgress() implements Claim {}
    }

    private final DSLContext dsl;

    public IdempotencyKeys(DSLContext dsl) {
        this.dsl = dsl;
    }

    public Claim claim(String scope, String key, UUID taskId, Instant now) {
        UUID won = dsl.insertInto(IDEMPOTENCY_KEYS)
                .set(IDEMPOTENCY_KEYS.SCOPE, scope)
                .set(IDEMPOTENCY_KEYS.KEY, key)
                .set(IDEMPOTENCY_KEYS.TASK_ID, taskId)
                .set(IDEMPOTENCY_KEYS.STATE, "pending")
                .set(IDEMPOTENCY_KEYS.CREATED_AT, now)
                .onConflict(IDEMPOTENCY_KEYS.SCOPE, IDEMPOTENCY_KEYS.KEY)
                .doUpdate()
                .set(IDEMPOTENCY_KEYS.TASK_ID, DSL.excluded(IDEMPOTENCY_KEYS.TASK_ID))
                .set(IDEMPOTENCY_KEYS.STATE, "pending")
                .set(IDEMPOTENCY_KEYS.CREATED_AT, DSL.excluded(IDEMPOTENCY_KEYS.CREATED_AT))
                .where(IDEMPOTENCY_KEYS.CREATED_AT.lt(now.minus(WINDOW))
                        .or(IDEMPOTENCY_KEYS.STATE.eq("pending").and(IDEMPOTENCY_KEYS.CREATED_AT.lt(now.minus(ABANDONED_AFTER)))))
                .returning(IDEMPOTENCY_KEYS.TASK_ID)
                .fetchOne(IDEMPOTENCY_KEYS.TASK_ID);
        if (taskId.equals(won)) {
            return new Claim.Claimed();
        }
        var existing = dsl.select(IDEMPOTENCY_KEYS.TASK_ID, IDEMPOTENCY_KEYS.STATE).from(IDEMPOTENCY_KEYS)
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))).fetchOne();
        if (existing == null) {
            return claim(scope, key, taskId, now); // released meanwhile: try again
        }
        return "accepted".equals(existing.value2()) ? new Claim.Existing(existing.value1()) : new Claim.InProgress();
    }

    /** Kafka acknowledged the event: repeats now get its task id. */
    public void accept(String scope, String key, UUID taskId) {
        dsl.update(IDEMPOTENCY_KEYS).set(IDEMPOTENCY_KEYS.STATE, "accepted")
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))
                        .and(IDEMPOTENCY_KEYS.TASK_ID.eq(taskId)))
                .execute();
    }

    /** Enqueuing failed: free the key so the client's retry can succeed. */
    public void release(String scope, String key, UUID taskId) {
        dsl.deleteFrom(IDEMPOTENCY_KEYS)
                .where(IDEMPOTENCY_KEYS.SCOPE.eq(scope).and(IDEMPOTENCY_KEYS.KEY.eq(key))
                        .and(IDEMPOTENCY_KEYS.TASK_ID.eq(taskId)))
                .execute();
    }

    /** Deletes keys older than the window, at most {@code limit}; returns how many. */
    public int purge(Instant now, int limit) {
        return dsl.deleteFrom(IDEMPOTENCY_KEYS)
                .where(DSL.row(IDEMPOTENCY_KEYS.SCOPE, IDEMPOTENCY_KEYS.KEY).in(
                        DSL.select(IDEMPOTENCY_KEYS.SCOPE, IDEMPOTENCY_KEYS.KEY).from(IDEMPOTENCY_KEYS)
                                .where(IDEMPOTENCY_KEYS.CREATED_AT.lt(now.minus(WINDOW))).limit(limit)))
                .execute();
    }
}
