package dev.conveyor.worker.scheduler.internal;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULES;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.store.db.jooq.tables.records.SchedulesRecord;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.types.YearToSecond;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires recurring schedules. Each fire time produces exactly one task across all scheduler
 * instances: the due schedule row is locked ({@code FOR UPDATE SKIP LOCKED}) while its task is
 * produced and {@code next_fire_at} advanced in the same transaction, and the task id is derived
 * from (schedule name, fire time), so even a crash between produce and commit, followed by a
 * re-fire, yields the same task, which the worker runs once.
 *
 * <p>Misfire policy: after downtime, the missed fire times collapse into one fire (carrying the
 * earliest missed fire time), and the next fire is the first regular one after now. No storm.
 */
public final class RecurringFires {

    private static final Logger log = LoggerFactory.getLogger(RecurringFires.class);

    private final DSLContext dsl;
    private final Producer<byte[], byte[]> producer;
    private final TaskRecordCodec codec = new TaskRecordCodec();

    public RecurringFires(DSLContext dsl, Producer<byte[], byte[]> producer) {
        this.dsl = dsl;
        this.producer = producer;
    }

    /**
     * Stores the configured schedules: new ones are inserted with their first fire time, changed
     * ones updated (their next fire recomputed when the timing changed), disabled ones stop.
     */
    public void sync(List<ScheduleDefinition> definitions, Instant now) {
        for (ScheduleDefinition d : definitions) {
            Instant first = d.nextFireAfter(now);
            YearToSecond every = d.every() == null ? null : YearToSecond.valueOf(d.every());
            var timingChanged = SCHEDULES.CRON.isDistinctFrom(DSL.excluded(SCHEDULES.CRON))
                    .or(SCHEDULES.EVERY_INTERVAL.isDistinctFrom(DSL.excluded(SCHEDULES.EVERY_INTERVAL)))
                    .or(SCHEDULES.ZONE.isDistinctFrom(DSL.excluded(SCHEDULES.ZONE)));
            dsl.insertInto(SCHEDULES)
                    .set(SCHEDULES.NAME, d.name())
                    .set(SCHEDULES.CRON, d.cron())
                    .set(SCHEDULES.EVERY_INTERVAL, every)
                    .set(SCHEDULES.ZONE, d.zone().getId())
                    .set(SCHEDULES.TOPIC, d.topic())
                    .set(SCHEDULES.PAYLOAD, d.payload())
                    .set(SCHEDULES.CONTENT_TYPE, d.contentType())
                    .set(SCHEDULES.ENABLED, d.enabled())
                    .set(SCHEDULES.NEXT_FIRE_AT, first)
                    .set(SCHEDULES.CREATED_AT, now)
                    .set(SCHEDULES.UPDATED_AT, now)
                    .onConflict(SCHEDULES.NAME)
                    .doUpdate()
                    .set(SCHEDULES.NEXT_FIRE_AT, DSL.when(timingChanged, DSL.excluded(SCHEDULES.NEXT_FIRE_AT))
                            .otherwise(SCHEDULES.NEXT_FIRE_AT))
                    .set(SCHEDULES.CRON, DSL.excluded(SCHEDULES.CRON))
                    .set(SCHEDULES.EVERY_INTERVAL, DSL.excluded(SCHEDULES.EVERY_INTERVAL))
                    .set(SCHEDULES.ZONE, DSL.excluded(SCHEDULES.ZONE))
                    .set(SCHEDULES.TOPIC, DSL.excluded(SCHEDULES.TOPIC))
                    .set(SCHEDULES.PAYLOAD, DSL.excluded(SCHEDULES.PAYLOAD))
                    .set(SCHEDULES.CONTENT_TYPE, DSL.excluded(SCHEDULES.CONTENT_TYPE))
                    .set(SCHEDULES.ENABLED, DSL.excluded(SCHEDULES.ENABLED))
                    .set(SCHEDULES.UPDATED_AT, DSL.excluded(SCHEDULES.UPDATED_AT))
                    .execute();
        }
    }

    /** Fires every enabled schedule due at {@code now}; returns how many fired. */
    public int fireDue(Instant now) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            List<SchedulesRecord> due = t.selectFrom(SCHEDULES)
                    .where(SCHEDULES.ENABLED.isTrue().and(SCHEDULES.NEXT_FIRE_AT.le(now)))
                    .orderBy(SCHEDULES.NEXT_FIRE_AT)
                    .limit(500)
                    .forUpdate()
                    .skipLocked()
                    .fetch();
            if (due.isEmpty()) {
                return 0;
            }
            List<Future<RecordMetadata>> sends = new ArrayList<>(due.size());
            for (SchedulesRecord s : due) {
                sends.add(producer.send(codec.encode(fireTask(s))));
            }
            for (Future<RecordMetadata> send : sends) {
                try {
                    send.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while firing schedules", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("producing a schedule fire failed: " + e.getCause().getMessage(),
                            e.getCause());
                }
            }
            for (SchedulesRecord s : due) {
                Instant next = nextFire(s, now);
                if (Duration.between(s.getNextFireAt(), now).compareTo(Duration.ofSeconds(1)) > 0
                        && next.isAfter(s.getNextFireAt())) {
                    log.info("Schedule '{}' missed fires since {}; fired once, next at {}", s.getName(),
                            s.getNextFireAt(), next);
                }
                t.update(SCHEDULES)
                        .set(SCHEDULES.NEXT_FIRE_AT, next)
                        .set(SCHEDULES.LAST_FIRED_AT, s.getNextFireAt())
                        .set(SCHEDULES.UPDATED_AT, now)
                        .where(SCHEDULES.NAME.eq(s.getName()))
                        .execute();
            }
            return due.size();
        });
    }

    /** The earliest next fire of an enabled schedule, or null. */
    public Instant earliestFire() {
        return dsl.select(DSL.min(SCHEDULES.NEXT_FIRE_AT)).from(SCHEDULES).where(SCHEDULES.ENABLED.isTrue())
                .fetchOne().value1();
    }

    /** The task one fire of {@code s} publishes; the same fire time always gives the same task id. */
    static Task fireTask(SchedulesRecord s) {
        String source = "/conveyor/schedules/" + s.getName();
        String eventId = s.getNextFireAt().toString();
        return Task.builder()
                .id(TaskIds.forEvent(source, eventId))
                .eventId(eventId)
                .source(source)
                .topic(s.getTopic())
                .type("conveyor.schedule." + s.getName())
                .kind(TaskKind.SCHEDULED)
                .payload(s.getPayload())
                .contentType(s.getContentType())
                .createdAt(s.getNextFireAt())
                .build();
    }

    /** The first fire strictly after both the fire just done and now (collapsing missed fires). */
    private static Instant nextFire(SchedulesRecord s, Instant now) {
        java.time.Duration every = s.getEveryInterval() == null ? null : s.getEveryInterval().toDuration();
        Instant after = now.isAfter(s.getNextFireAt()) ? now : s.getNextFireAt();
        if (every != null) {
            // Keep the interval's phase: the next multiple of `every` after the last fire that is past now.
            Instant next = s.getNextFireAt().plus(every);
            if (!next.isAfter(now)) {
                long skipped = Duration.between(s.getNextFireAt(), now).dividedBy(every);
                next = s.getNextFireAt().plus(every.multipliedBy(skipped + 1));
            }
            return next;
        }
        return ScheduleDefinition.nextFireAfter(s.getCron(), null, ZoneId.of(s.getZone()), after);
    }
}
