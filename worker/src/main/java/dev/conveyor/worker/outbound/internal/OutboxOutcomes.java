package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.worker.outbound.OutboundSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what became of each attempt on its outbox row: delivered on 2xx; otherwise another
 * attempt after the backoff, or failed once {@code callbacks.max-attempts} attempts were made;
 * refused rows fail at once; postponed rows move on without using an attempt. Every write is
 * guarded by the row's state and attempt count as claimed, so a row re-claimed by another scheduler
 * after our lease ended is not written twice.
 */
final class OutboxOutcomes {

    // Logged under OutboxDelivery, the name operators and log filters know the outbox by.
    private static final Logger log = LoggerFactory.getLogger(OutboxDelivery.class);
    static final int MAX_ERROR_LENGTH = 500;

    private final DSLContext dsl;
    private final OutboundSettings settings;
    private final Clock clock;
    private final MeterRegistry meters;

    OutboxOutcomes(DSLContext dsl, OutboundSettings settings, Clock clock, MeterRegistry meters) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** Records the outcome of an attempt; a sent one's answer is awaited first (and feeds the host's breaker). */
    void record(DeliveryAttempt attempt) {
        switch (attempt) {
            case DeliveryAttempt.Sent sent -> answered(sent);
            case DeliveryAttempt.Refused r -> refuse(r.row(), r.why());
            case DeliveryAttempt.Postponed p -> postpone(p.row(), p.why(), p.postponeFor());
            case DeliveryAttempt.Unstarted u -> attempted(u.row(), null, u.error());
        }
    }

    private void answered(DeliveryAttempt.Sent a) {
        SentAnswer answer = SentAnswer.await(a.response(), settings.tuning().httpTimeout().plusSeconds(5));
        if (answer.refused() != null) {
            // Refused by the SSRF rule when the client resolved the host: nothing was sent.
            a.breaker().releasePermission();
            refuse(a.row(), answer.refused().getMessage());
            return;
        }
        long took = Duration.between(a.startedAt(), clock.instant()).toNanos();
        if (HostBreakers.receiverUnwell(answer.status())) {
            a.breaker().onError(took, TimeUnit.NANOSECONDS, new RuntimeException(answer.error()));
        } else {
            a.breaker().onSuccess(took, TimeUnit.NANOSECONDS);
        }
        attempted(a.row(), answer.status(), answer.error());
    }

    private void attempted(OutboxRecord row, Integer status, String error) {
        int attempts = row.getAttempts() + 1;
        Instant now = clock.instant();
        if (error == null) {
            update(row, "delivered", attempts, status, null, now, now);
            Counter.builder("conveyor.outbound.delivered").description("Outbound deliveries answered with 2xx")
                    .tag("kind", row.getKind()).register(meters).increment();
        } else if (attempts >= settings.callbacks().maxAttempts()) {
            update(row, "failed", attempts, status, error, now, null);
            failed(row, error + " (after " + attempts + " attempts)");
        } else {
            Duration delay = settings.tuning().backoff().delay(attempts, ThreadLocalRandom.current().nextDouble());
            update(row, "pending", attempts, status, error, now.plus(delay), null);
        }
    }

    private void postpone(OutboxRecord row, String why, Duration postponeFor) {
        // Not an attempt: the request was never sent, so attempts and last_status stay as they were.
        dsl.update(OUTBOX)
                .set(OUTBOX.NEXT_ATTEMPT_AT, clock.instant().plus(postponeFor))
                .set(OUTBOX.LAST_ERROR, why)
                .set(OUTBOX.UPDATED_AT, clock.instant())
                .where(OUTBOX.ID.eq(row.getId())).and(OUTBOX.STATE.eq("pending"))
                .and(OUTBOX.ATTEMPTS.eq(row.getAttempts()))
                .execute();
    }

    private void refuse(OutboxRecord row, String why) {
        update(row, "failed", row.getAttempts(), null, why, row.getNextAttemptAt(), null);
        failed(row, why);
    }

    private void failed(OutboxRecord row, String why) {
        Counter.builder("conveyor.outbound.failed").description("Outbound deliveries given up (max attempts, refused)")
                .tag("kind", row.getKind()).register(meters).increment();
        log.warn("Outbound {} of task {} ({}) to {} failed for good: {}", row.getTarget(), row.getTaskId(),
                row.getStatus().wireName(), row.getUrl(), why);
    }

    private void update(OutboxRecord row, String state, int attempts, Integer status, String error, Instant next,
            Instant deliveredAt) {
        dsl.update(OUTBOX)
                .set(OUTBOX.STATE, state)
                .set(OUTBOX.ATTEMPTS, attempts)
                .set(OUTBOX.NEXT_ATTEMPT_AT, next)
                .set(OUTBOX.LAST_STATUS, status)
                .set(OUTBOX.LAST_ERROR, truncate(error))
                .set(OUTBOX.UPDATED_AT, clock.instant())
                .set(OUTBOX.DELIVERED_AT, deliveredAt)
                .where(OUTBOX.ID.eq(row.getId()))
                .and(OUTBOX.STATE.eq("pending"))
                .and(OUTBOX.ATTEMPTS.eq(row.getAttempts()))
                .execute();
    }

    /** {@code last_error} keeps the first {@value #MAX_ERROR_LENGTH} characters. */
    static String truncate(String s) {
        return s == null || s.length() <= MAX_ERROR_LENGTH ? s : s.substring(0, MAX_ERROR_LENGTH);
    }
}
