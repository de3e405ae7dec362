package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.worker.outbound.OutboundSettings;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jooq.DSLContext;

/**
 * Claims due pending outbox rows for one delivery cycle. The claim is a lease, not a lock: it pushes
 * {@code next_attempt_at} a lease ahead in the same statement that selects the rows
 * ({@code FOR UPDATE SKIP LOCKED}, so schedulers share the work). A scheduler that dies before
 * recording the outcomes leaves its rows to be claimed again once the lease ends.
 */
final class OutboxLease {

    private final DSLContext dsl;
    private final OutboundSettings.Tuning tuning;

    OutboxLease(DSLContext dsl, OutboundSettings.Tuning tuning) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
    }

    /** Up to a batch of rows due at {@code now}, oldest due first, now leased to this caller. */
    List<OutboxRecord> claim(Instant now) {
        return dsl.update(OUTBOX)
                .set(OUTBOX.NEXT_ATTEMPT_AT, now.plus(tuning.lease()))
                .set(OUTBOX.UPDATED_AT, now)
                .where(OUTBOX.ID.in(dsl.select(OUTBOX.ID).from(OUTBOX)
                        .where(OUTBOX.STATE.eq("pending"))
                        .and(OUTBOX.NEXT_ATTEMPT_AT.le(now))
                        .orderBy(OUTBOX.NEXT_ATTEMPT_AT)
                        .limit(tuning.batchSize())
                        .forUpdate()
                        .skipLocked()))
                .returning()
                .fetch();
    }
}
