package dev.conveyor.worker.scheduler.internal;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore.Redelivery;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.jooq.impl.DSL;

/**
 * The database side of delivering {@code scheduled_deliveries}: rows are <em>claimed ahead</em> of
 * their due time under a lease, produced when due (by {@link DeliveryPipeline}, or at once by
 * {@link #deliverDue}), and deleted after Kafka acknowledged them.
 *
 * <ol>
 *   <li>{@link #claim} (or {@link #claimOnly} then {@link #queueRescheduled}, as the running
 *       scheduler does, so the records leave before the requeue): one short transaction takes up
 *       to a batch of rows due before a horizon
 *       that nobody holds ({@code claimed_until} null or past), {@code FOR UPDATE SKIP LOCKED} so
 *       concurrent schedulers take different rows, and stamps them {@code claimed_by} /
 *       {@code claimed_until} (the lease). In the same transaction the rescheduled tasks among them
 *       become {@code queued} at the delivered attempt with a {@code rescheduled → queued}
 *       transition ({@link dev.conveyor.store.StatusStore#requeueDue}), keeping
 *       {@code next_run_at} (the due time): "queued with a next run time" is
 *       how a future-dated task waits too. Doing this before the record exists means a worker
 *       always finds the row at the new attempt, so the history stays in order and the worker and
 *       the scheduler never write the same rows at the same time.</li>
 *   <li>The records are produced when due, pipelined; or up to the send-ahead time before, marked
 *       with the time before which the worker must not run them.</li>
 *   <li>{@link #finish}: after Kafka acknowledged them, the rows are deleted, many batches per
 *       statement, off the produce path.</li>
 * </ol>
 *
 * <p>Recovery: a scheduler that dies after claiming leaves its rows claimed until the lease ends;
 * then any scheduler claims and produces them again. Nothing is lost (a row is only deleted after
 * its record was acknowledged); a record may be produced twice, and the worker's (task id, attempt)
 * dedupe runs it once. The tasks are already {@code queued} at the new attempt, so the second
 * claim changes nothing there. A task cancelled while its record was claimed ahead stays
 * cancelled: the cancel deletes the row, and the worker does not run a record whose task is
 * terminal; the requeue is guarded ({@code status = 'rescheduled'}), so it never moves a
 * cancelled or finished task back. The cancel records the attempt of the claimed record as used
 * ({@code OperatorTransitions.cancelledAttempt} in the status store), so an operator retry afterwards delivers a newer
 * attempt, which supersedes the record still produced from the claim.
 */
public final class Deliveries {

    /**
     * How long past the claim horizon a claim stays valid. A live scheduler produces a claimed
     * row at its due time, at most the claim-ahead window after claiming, so this is the room it
     * has for a slow produce before another scheduler may take the row over; it is also how late
     * the rows of a crashed scheduler are delivered, at worst.
     */
    public static final Duration LEASE = Duration.ofSeconds(15);

    private final DSLContext dsl;
    private final Producer<byte[], byte[]> producer;
    private final String node;
    private final JooqStatusStore store;
    private final int batchSize;
    private final Runnable afterProduce;
    private final io.micrometer.core.instrument.Timer lateness;

    /**
     * @param afterProduce called after records were acknowledged by Kafka and before their rows are
     *     deleted: a fault-injection point for tests (throwing there is a crash at the worst moment)
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
        // Task rows change only through the status store; the requeue runs in the claim's
        // transaction when claim() asks for it, hence the jOOQ store and not the interface.
        this.store = new JooqStatusStore(dsl, node);
        this.batchSize = batchSize;
        this.afterProduce = afterProduce;
        this.lateness = lateness;
    }

    /**
     * One claimed row, ready to produce: the record is built at claim time, so producing it at the
     * due time costs no decoding.
     *
     * @param id the row's id
     * @param dueAt when it must be produced, not earlier
     * @param claimedUntil end of this scheduler's lease on it: not produced after that (another
     *     scheduler may have taken it over)
     */
    public record Claimed(long id, UUID taskId, int attempt, Instant dueAt, Instant claimedUntil,
            ProducerRecord<byte[], byte[]> record) {}

    int batchSize() {
        return batchSize;
    }

    Producer<byte[], byte[]> producer() {
        return producer;
    }

    void afterProduce() {
        afterProduce.run();
    }

    void recordLateness(Instant dueAt, Instant acked) {
        if (lateness != null) {
            // A record sent ahead of its due time (DeliveryPipeline) was not late at all.
            lateness.record(Duration.between(dueAt, acked).isNegative() ? Duration.ZERO : Duration.between(dueAt, acked));
        }
    }

    /**
     * Delivers, now, one batch of rows due at {@code now} (claim, produce, wait for Kafka, delete);
     * returns how many were delivered. The running scheduler uses {@link DeliveryPipeline} instead;
     * this is the same steps in one call, for tests and tools.
     */
    public int deliverDue(Instant now) {
        List<Claimed> due = claim(now, now, batchSize);
        if (due.isEmpty()) {
            return 0;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>(due.size());
        for (Claimed c : due) {
            sends.add(producer.send(c.record()));
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
        Instant acked = Instant.now();
        for (Claimed c : due) {
            recordLateness(c.dueAt(), acked);
        }
        afterProduce.run();
        finish(due.stream().map(Claimed::id).toList(), List.of());
        return due.size();
    }

    /** The earliest due time of any pending delivery, or null when there is none. */
    public Instant earliestDue() {
        return dsl.select(DSL.min(SCHEDULED_DELIVERIES.DUE_AT)).from(SCHEDULED_DELIVERIES).fetchOne().value1();
    }

    /**
     * The earliest due time of a delivery that can be claimed at {@code now} (nobody holds it, or
     * its lease ended), or null when there is none.
     */
    public Instant earliestClaimable(Instant now) {
        return dsl.select(DSL.min(SCHEDULED_DELIVERIES.DUE_AT)).from(SCHEDULED_DELIVERIES)
                .where(SCHEDULED_DELIVERIES.CLAIMED_UNTIL.isNull().or(SCHEDULED_DELIVERIES.CLAIMED_UNTIL.lt(now)))
                .fetchOne().value1();
    }

    private static final String CLAIM = """
            with picked as (
                select id from scheduled_deliveries
                where due_at <= ? and (claimed_until is null or claimed_until < ?)
                order by due_at
                limit ?
                for update skip locked)
            update scheduled_deliveries d set claimed_by = ?, claimed_until = ?
            from picked where d.id = picked.id
            returning d.id, d.task_id, d.attempt, d.topic, d.record_key, d.headers::text, d.payload, d.due_at
            """;

    /**
     * Claims up to {@code limit} rows due at or before {@code horizon} that nobody holds at
     * {@code now}, under a lease until {@code horizon + }{@link #LEASE}, and queues their
     * rescheduled tasks at the delivered attempt; all in one transaction. Returns them by due time.
     *
     * <p>The tasks are queued here, before their records exist, rather than after the produce:
     * then a worker never finds a record's task still {@code rescheduled}, and the scheduler never
     * writes task rows that the workers are writing at the same moment (a requeue after the produce
     * made the workers' status writes wait behind it, in measurements).
     *
     * <p>A task row that another transaction holds right now (an operator cancelling it) is left
     * as it is rather than waited for: its record is still produced when due, and the worker
     * either finds it cancelled (and does not run it) or still {@code rescheduled} at the previous
     * attempt (and runs it).
     */
    public List<Claimed> claim(Instant now, Instant horizon, int limit) {
        return claim(now, horizon, limit, true);
    }

    /**
     * Claims like {@link #claim} but leaves the rescheduled tasks as they are: the caller hands the
     * rows to the sender first and then calls {@link #queueRescheduled}, so the claim transaction
     * is short and a burst's records leave sooner. The tasks are queued long before their records
     * are run (records are sent ahead and held until due); a worker that finds a task still
     * {@code rescheduled} at the previous attempt runs it all the same, and the guarded requeue
     * then leaves it alone.
     */
    public List<Claimed> claimOnly(Instant now, Instant horizon, int limit) {
        return claim(now, horizon, limit, false);
    }

    private List<Claimed> claim(Instant now, Instant horizon, int limit, boolean requeue) {
        if (limit <= 0) {
            return List.of();
        }
        Instant claimedUntil = horizon.plus(LEASE);
        List<Claimed> claimed = dsl.transactionResult(tx -> {
            List<Claimed> rows = tx.dsl().connectionResult(conn -> claimRows(conn, now, horizon, limit, claimedUntil));
            if (requeue && !rows.isEmpty()) {
                store.requeueDue(tx.dsl(), redeliveries(rows), now);
            }
            return rows;
        });
        claimed.sort(Comparator.comparing(Claimed::dueAt).thenComparingLong(Claimed::id));
        return claimed;
    }

    /** Queues the rescheduled tasks among claimed rows at their delivered attempt (one transaction). */
    public void queueRescheduled(List<Claimed> rows, Instant now) {
        if (!rows.isEmpty()) {
            store.requeueDue(redeliveries(rows), now);
        }
    }

    private List<Claimed> claimRows(Connection conn, Instant now, Instant horizon, int limit, Instant claimedUntil)
            throws SQLException {
        List<Claimed> rows = new ArrayList<>(Math.min(limit, 1024));
        try (PreparedStatement ps = conn.prepareStatement(CLAIM)) {
            ps.setObject(1, utc(horizon));
            ps.setObject(2, utc(now));
            ps.setInt(3, limit);
            ps.setString(4, node);
            ps.setObject(5, utc(claimedUntil));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID taskId = rs.getObject(2, UUID.class);
                    int attempt = rs.getInt(3);
                    Instant due = rs.getObject(8, OffsetDateTime.class).toInstant();
                    ProducerRecord<byte[], byte[]> record = toRecord(rs.getString(4), rs.getBytes(5),
                            rs.getString(6), rs.getBytes(7));
                    rows.add(new Claimed(rs.getLong(1), taskId, attempt, due, claimedUntil, record));
                }
            }
        }
        return rows;
    }

    private static List<Redelivery> redeliveries(List<Claimed> rows) {
        List<Redelivery> due = new ArrayList<>(rows.size());
        for (Claimed c : rows) {
            due.add(new Redelivery(c.taskId(), c.attempt()));
        }
        return due;
    }

    /**
     * Deletes the rows whose records Kafka acknowledged, and gives up this scheduler's claim on the
     * rows whose records could not be produced (any scheduler claims them again at once); one
     * transaction. Deleting by id is safe whoever holds the row now: its record was acknowledged.
     */
    public void finish(List<Long> acknowledged, List<Long> failed) {
        if (acknowledged.isEmpty() && failed.isEmpty()) {
            return;
        }
        dsl.transaction(tx -> tx.dsl().connection(conn -> {
            if (!acknowledged.isEmpty()) {
                Long[] ids = acknowledged.toArray(Long[]::new);
                try (PreparedStatement ps = conn.prepareStatement(
                        "delete from scheduled_deliveries where id = any(?::int8[])")) {
                    ps.setObject(1, ids);
                    ps.executeUpdate();
                }
            }
            if (!failed.isEmpty()) {
                release(conn, failed);
            }
        }));
    }

    /** Gives up this scheduler's claim on rows it will not produce (stopping, or a failed send). */
    public void release(List<Long> ids) {
        if (!ids.isEmpty()) {
            dsl.connection(conn -> release(conn, ids));
        }
    }

    private void release(Connection conn, List<Long> ids) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("update scheduled_deliveries set claimed_by = null, "
                + "claimed_until = null where id = any(?::int8[]) and claimed_by = ?")) {
            ps.setObject(1, ids.toArray(Long[]::new));
            ps.setString(2, node);
            ps.executeUpdate();
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static ProducerRecord<byte[], byte[]> toRecord(String topic, byte[] key, String headersJson, byte[] payload) {
        RecordHeaders headers = new RecordHeaders();
        JsonNode json = Json.parse(headersJson.getBytes(StandardCharsets.UTF_8));
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            headers.add(h.getKey(), h.getValue().asText().getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(topic, null, key, payload, headers);
    }
}
