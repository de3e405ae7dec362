package dev.conveyor.worker.scheduler.internal;

import static dev.conveyor.schema.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.db.jooq.tables.records.ScheduledDeliveriesRecord;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record2;
import org.jooq.Row2;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * Moves due rows of {@code scheduled_deliveries} to Kafka, one batch per transaction:
 * <ol>
 *   <li>claim up to a batch of due rows {@code FOR UPDATE SKIP LOCKED} (other schedulers skip them);</li>
 *   <li>mark the tasks {@code queued} with their new attempt (guarded: only a task still
 *       {@code rescheduled} at the previous attempt moves) and record the transitions, locking
 *       the task rows in primary-key order;</li>
 *   <li>produce every record (pipelined) and wait for Kafka's acknowledgements;</li>
 *   <li>delete the rows and commit.</li>
 * </ol>
 * A crash anywhere before the commit rolls the claim back, so the rows are delivered again:
 * a record may be produced twice, never lost; the worker's (task id, attempt) dedupe runs it once.
 */
public final class Deliveries {

    private final DSLContext dsl;
    private final Producer<byte[], byte[]> producer;
    private final String node;
    private final int batchSize;
    private final Runnable afterProduce;
    private final io.micrometer.core.instrument.Timer lateness;

    /**
     * @param afterProduce called after the batch was acknowledged by Kafka and before the database
     *     commit: a fault-injection point for tests (throwing there is a crash at the worst moment)
     */
    public Deliveries(DSLContext dsl, Producer<byte[], byte[]> producer, String node, int batchSize,
            Runnable afterProduce) {
        this(dsl, producer, node, batchSize, afterProduce, null);
    }

    /** @param lateness records, per delivered row, acknowledgement time minus due time (null: not recorded) */
    public Deliveries(DSLContext dsl, Producer<byte[], byte[]> producer, String node, int batchSize,
            Runnable afterProduce, io.micrometer.core.instrument.Timer lateness) {
        this.dsl = dsl;
        this.producer = producer;
        this.node = node;
        this.batchSize = batchSize;
        this.afterProduce = afterProduce;
        this.lateness = lateness;
    }

    /** Delivers one batch of rows due at {@code now}; returns how many were delivered. */
    public int deliverDue(Instant now) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            List<ScheduledDeliveriesRecord> due = t.selectFrom(SCHEDULED_DELIVERIES)
                    .where(SCHEDULED_DELIVERIES.DUE_AT.le(now))
                    .orderBy(SCHEDULED_DELIVERIES.DUE_AT)
                    .limit(batchSize)
                    .forUpdate()
                    .skipLocked()
                    .fetch();
            if (due.isEmpty()) {
                return 0;
            }
            // Queue the tasks before their records exist: a worker picking a record up at once then
            // finds the row already at the new attempt and merely waits for this commit, instead of
            // both sides locking the same task rows in opposite orders (a deadlock).
            markQueued(t, due, now);
            produceAll(due);
            if (lateness != null) {
                Instant acked = Instant.now();
                for (ScheduledDeliveriesRecord d : due) {
                    lateness.record(Duration.between(d.getDueAt(), acked));
                }
            }
            afterProduce.run();
            t.deleteFrom(SCHEDULED_DELIVERIES)
                    .where(SCHEDULED_DELIVERIES.ID.in(due.stream().map(ScheduledDeliveriesRecord::getId).toList()))
                    .execute();
            return due.size();
        });
    }

    /** The earliest due time of any pending delivery, or null when there is none. */
    public Instant earliestDue() {
        return dsl.select(DSL.min(SCHEDULED_DELIVERIES.DUE_AT)).from(SCHEDULED_DELIVERIES).fetchOne().value1();
    }

    private void produceAll(List<ScheduledDeliveriesRecord> due) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(due.size());
        for (ScheduledDeliveriesRecord d : due) {
            sends.add(producer.send(toRecord(d)));
        }
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while producing deliveries", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("producing a scheduled delivery failed: " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
    }

    static ProducerRecord<byte[], byte[]> toRecord(ScheduledDeliveriesRecord d) {
        RecordHeaders headers = new RecordHeaders();
        JsonNode json = Json.parse(d.getHeaders().data().getBytes(StandardCharsets.UTF_8));
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            headers.add(h.getKey(), h.getValue().asText().getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(d.getTopic(), null, d.getRecordKey(), d.getPayload(), headers);
    }

    /**
     * Rescheduled tasks become {@code queued} at the delivered attempt, with a transition; a
     * future-dated task (already {@code queued}) only loses its {@code next_run_at}. A task that
     * moved on meanwhile (cancelled, or already picked up by a fast worker) is left alone.
     */
    private void markQueued(DSLContext t, List<ScheduledDeliveriesRecord> due, Instant now) {
        @SuppressWarnings("unchecked")
        Row2<UUID, Integer>[] rows = due.stream().map(d -> DSL.row(d.getTaskId(), d.getAttempt())).toArray(Row2[]::new);
        Table<Record2<UUID, Integer>> v = DSL.values(rows).as("v", "task_id", "attempt");
        Field<UUID> vId = v.field("task_id", UUID.class);
        Field<Integer> vAttempt = v.field("attempt", Integer.class);
        // Lock the rows in primary-key order, the order every status writer uses too.
        t.select(TASKS.ID).from(TASKS)
                .where(TASKS.ID.in(due.stream().map(ScheduledDeliveriesRecord::getTaskId).toList()))
                .orderBy(TASKS.ID)
                .forUpdate()
                .fetch();

        var requeued = t.update(TASKS)
                .set(TASKS.STATUS, TaskStatus.QUEUED)
                .set(TASKS.ATTEMPT, vAttempt)
                .setNull(TASKS.NEXT_RUN_AT)
                .set(TASKS.UPDATED_AT, now)
                .from(v)
                .where(TASKS.ID.eq(vId))
                .and(TASKS.STATUS.eq(TaskStatus.RESCHEDULED))
                .and(TASKS.ATTEMPT.eq(vAttempt.minus(1)))
                .returning(TASKS.ID, TASKS.ATTEMPT)
                .fetch();
        t.update(TASKS)
                .setNull(TASKS.NEXT_RUN_AT)
                .set(TASKS.UPDATED_AT, now)
                .from(v)
                .where(TASKS.ID.eq(vId))
                .and(TASKS.STATUS.eq(TaskStatus.QUEUED))
                .and(TASKS.ATTEMPT.eq(vAttempt))
                .execute();
        if (!requeued.isEmpty()) {
            var insert = t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                    TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT, TASK_TRANSITIONS.REASON,
                    TASK_TRANSITIONS.NODE);
            for (var r : requeued) {
                insert = insert.values(r.getId(), TaskStatus.RESCHEDULED, TaskStatus.QUEUED, now, r.getAttempt(),
                        "redelivered", node);
            }
            insert.execute();
        }
    }
}
