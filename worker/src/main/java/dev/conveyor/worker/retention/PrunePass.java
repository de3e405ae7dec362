package dev.conveyor.worker.retention;

import dev.conveyor.schema.TaskStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * One pruning pass over the status tables, on one connection that holds the pruner's advisory lock
 * for the whole pass (a second pruner finds it taken and skips its pass). Tasks are walked from the
 * oldest ({@code tasks_created_idx}) in batches of {@value #BATCH}; each batch deletes the expired
 * ones with their outbox rows in one short statement (their transitions go with their dated
 * partition, {@link HistoryPartitions}, or from the default partition with them), skipping rows another
 * transaction holds and rows that changed since they were read (an operator's retry). A task with a
 * pending outbox delivery is never deleted. Then delivered and finally failed outbox rows older
 * than {@link RetentionConfig#outbox()} and idempotency keys older than
 * {@link RetentionConfig#idempotencyKeys()} go, in batches too.
 */
final class PrunePass {

    static final int BATCH = 1000;

    private static final String SCAN = """
            select id, created_at, topic, status, (extract(epoch from updated_at) * 1000000)::int8,
                coalesce(finished_at, updated_at)
            from tasks
            where created_at < ? and (created_at, id) > (?, ?)
            order by created_at, id
            limit ?
            """;

    private static final String DELETE_TASKS = """
            with doomed as (
                select t.id from tasks t
                join unnest(?::text[], ?::int8[]) as u(id, updated_us) on t.id = u.id::uuid
                where (extract(epoch from t.updated_at) * 1000000)::int8 = u.updated_us
                  and t.status in ('done', 'skipped', 'cancelled', 'failed', 'dead')
                  and not exists (select 1 from outbox o where o.task_id = t.id and o.state = 'pending')
                order by t.id
                for update of t skip locked
            ), transitions as (
                delete from task_transitions_default tt using doomed d where tt.task_id = d.id
            ), outbox_rows as (
                delete from outbox o using doomed d where o.task_id = d.id
            )
            delete from tasks t using doomed d where t.id = d.id
            returning t.topic, t.status
            """;

    private static final String DELETE_OUTBOX = """
            delete from outbox where id in (
                select id from outbox where state <> 'pending' and updated_at < ? order by id limit ?
                for update skip locked)
            """;

    private static final String DELETE_KEYS = """
            delete from idempotency_keys where (scope, key) in (
                select scope, key from idempotency_keys where created_at < ? order by created_at limit ?
                for update skip locked)
            """;

    private static final String COUNT_KEYS = "select count(*) from idempotency_keys where created_at < ?";

    private static final String COUNT_OUTBOX =
            "select count(*) from outbox where state <> 'pending' and updated_at < ?";

    /** Runs a batched delete ({@code ?} = before, {@code ?} = batch size) until a batch comes back short. */
    private static long deleteInBatches(Connection conn, String sql, Instant before) throws SQLException {
        long total = 0;
        for (int n = BATCH; n == BATCH; total += n) {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                ps.setObject(1, utc(before));
                ps.setInt(2, BATCH);
                n = ps.executeUpdate();
            }
        }
        return total;
    }

    private static long count(Connection conn, String sql, Instant before) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setObject(1, utc(before));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private final DSLContext dsl;
    private final RetentionConfig config;

    PrunePass(DSLContext dsl, RetentionConfig config) {
        this.dsl = dsl;
        this.config = config;
    }

    /**
     * Runs one pass as of {@code now}.
     *
     * @param dry count what would be deleted, delete nothing (each batch is rolled back)
     * @return {@code ran} false when another pruner holds the lock
     */
    PruneReport run(Instant now, boolean dry) {
        return dsl.connectionResult(conn -> {
            if (!lock(conn, "pg_try_advisory_lock")) {
                return new PruneReport(false, Map.of(), 0, 0, 0, PruneReport.History.NONE, 0);
            }
            boolean autoCommit = conn.getAutoCommit();
            try {
                conn.setAutoCommit(!dry);
                return prune(conn, now, dry);
            } finally {
                if (dry) {
                    conn.rollback();
                }
                conn.setAutoCommit(autoCommit);
                lock(conn, "pg_advisory_unlock");
            }
        });
    }

    private static boolean lock(Connection conn, String function) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "select " + function + "(hashtext(current_schema() || '.conveyor-pruner'))")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private PruneReport prune(Connection conn, Instant now, boolean dry) throws SQLException {
        PruneReport.History created = createPartitions(conn, now, dry);
        Map<String, Map<TaskStatus, Long>> deleted = new TreeMap<>();
        Instant scanUntil = now.minus(config.shortestTaskAge());
        Instant afterCreated = Instant.EPOCH;
        UUID afterId = new UUID(0, 0);
        long scanned = 0;
        while (true) {
            List<Row> rows = scan(conn, scanUntil, afterCreated, afterId);
            scanned += rows.size();
            List<Row> expired = rows.stream().filter(r -> r.expired(config, now)).toList();
            if (!expired.isEmpty()) {
                delete(conn, expired, deleted);
                if (dry) {
                    conn.rollback();
                }
            }
            if (rows.size() < BATCH) {
                break;
            }
            Row last = rows.getLast();
            afterCreated = last.created;
            afterId = last.id;
        }
        PruneReport.History history = dropPartitions(conn, now, dry, created);
        long outbox = dry ? count(conn, COUNT_OUTBOX, now.minus(config.outbox()))
                : deleteInBatches(conn, DELETE_OUTBOX, now.minus(config.outbox()));
        long keys = dry ? count(conn, COUNT_KEYS, now.minus(config.idempotencyKeys()))
                : deleteInBatches(conn, DELETE_KEYS, now.minus(config.idempotencyKeys()));
        long lean = LeanMarkers.prune(conn, config, now, dry);
        return new PruneReport(true, deleted, outbox, keys, scanned, history, lean);
    }

    /** Creates the history partitions ahead; a failure (a lock not granted in time) does not stop the pass. */
    private PruneReport.History createPartitions(Connection conn, Instant now, boolean dry) {
        try {
            return new PruneReport.History(HistoryPartitions.createAhead(conn, config, now, dry), Map.of(), 0, null);
        } catch (SQLException e) {
            return new PruneReport.History(List.of(), Map.of(), 0, e.getMessage());
        }
    }

    /** Drops the expired history partitions, once the pass deleted the expired tasks. */
    private PruneReport.History dropPartitions(Connection conn, Instant now, boolean dry, PruneReport.History created) {
        if (created.problem() != null) {
            return created;
        }
        try {
            HistoryPartitions.Dropped d = HistoryPartitions.dropExpired(conn, config, now, dry);
            Map<String, Long> dropped = new LinkedHashMap<>();
            d.partitions().forEach(p -> dropped.put(p.name(), p.rowsEstimate()));
            return new PruneReport.History(created.created(), dropped, d.keptRowsMoved(), null);
        } catch (SQLException e) {
            return new PruneReport.History(created.created(), Map.of(), 0, e.getMessage());
        }
    }

    /** One scanned task: enough to decide whether it expired and to delete it only if unchanged. */
    private record Row(UUID id, String topic, TaskStatus status, long updatedMicros, Instant ended, Instant created) {
        boolean expired(RetentionConfig config, Instant now) {
            return status.isTerminal() && ended.isBefore(now.minus(config.age(topic, status)));
        }
    }

    private static List<Row> scan(Connection conn, Instant until, Instant afterCreated, UUID afterId)
            throws SQLException {
        List<Row> rows = new ArrayList<>(BATCH);
        try (PreparedStatement ps = conn.prepareStatement(SCAN)) {
            ps.setObject(1, utc(until));
            ps.setObject(2, utc(afterCreated));
            ps.setObject(3, afterId);
            ps.setInt(4, BATCH);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getObject(1, UUID.class), rs.getString(3), TaskStatus.fromWire(rs.getString(4)),
                            rs.getLong(5), rs.getObject(6, OffsetDateTime.class).toInstant(),
                            rs.getObject(2, OffsetDateTime.class).toInstant()));
                }
            }
        }
        return rows;
    }

    private static void delete(Connection conn, List<Row> expired, Map<String, Map<TaskStatus, Long>> deleted)
            throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(DELETE_TASKS)) {
            ps.setObject(1, expired.stream().map(r -> r.id.toString()).toArray(String[]::new));
            ps.setObject(2, expired.stream().map(r -> r.updatedMicros).toArray(Long[]::new));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    deleted.computeIfAbsent(rs.getString(1), t -> new EnumMap<>(TaskStatus.class))
                            .merge(TaskStatus.fromWire(rs.getString(2)), 1L, Long::sum);
                }
            }
        }
    }

    private static OffsetDateTime utc(Instant i) {
        return OffsetDateTime.ofInstant(i.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }
}
