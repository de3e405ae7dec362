package dev.conveyor.store;

import static dev.conveyor.store.SqlTime.fromMicros;
import static dev.conveyor.store.SqlTime.micros;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConnectionProvider;

/**
 * Writes batches of {@link StatusChange}s, the worker's hot path: one {@code unnest} upsert into
 * {@code tasks} (guarded so rows only move forward), one {@code unnest} insert into
 * {@code task_transitions}, one into {@code scheduled_deliveries} and, only when some applied
 * change made a task terminal and has somewhere to go, one into {@code outbox}: all in one
 * transaction per batch.
 */
final class ChangeBatchWriter {

    /** Rows per statement: bounds the arrays one statement binds and the rows it locks at once. */
    static final int MAX_ROWS_PER_STATEMENT = 1000;

    private static final List<TaskStatus> TERMINAL =
            List.of(TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED, TaskStatus.DEAD);

    private final DSLContext dsl;
    private final String node;
    private final OutboxWriter outbox;
    private final LeanOutcomes lean;

    ChangeBatchWriter(DSLContext dsl, String node, OutboxWriter outbox, LeanOutcomes lean) {
        this.dsl = dsl;
        this.node = node;
        this.outbox = outbox;
        this.lean = lean;
    }

    /** Applies {@code changes} in one transaction; see {@link StatusStore#apply}. */
    Set<UUID> apply(List<StatusChange> changes) {
        if (changes.isEmpty()) {
            return Set.of();
        }
        // The transaction by hand on one pooled connection rather than dsl.transactionResult: jOOQ's
        // transaction provider asks the connection for its isolation level first, which pgjdbc answers
        // with a round trip (SHOW TRANSACTION ISOLATION LEVEL) on every batch of the worker's hot path.
        // pgjdbc sends BEGIN together with the first statement, so a batch is the statements plus COMMIT.
        return dsl.connectionResult(conn -> {
            boolean autoCommit = conn.getAutoCommit();
            if (autoCommit) {
                conn.setAutoCommit(false);
            }
            try {
                Set<UUID> applied = applyIn(DSL.using(dsl.configuration().derive(new DefaultConnectionProvider(conn))),
                        changes);
                conn.commit();
                return applied;
            } catch (Throwable e) {
                try {
                    conn.rollback();
                } catch (java.sql.SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed);
                }
                throw e;
            } finally {
                if (autoCommit) {
                    conn.setAutoCommit(true);
                }
            }
        });
    }

    private Set<UUID> applyIn(DSLContext t, List<StatusChange> all) {
        Set<UUID> applied = new HashSet<>();
        List<StatusChange> changes = all;
        if (lean.any()) {
            List<StatusChange> leanOnes = all.stream().filter(lean::keepsNoRow).toList();
            if (!leanOnes.isEmpty()) {
                LeanOutcomes.Written w = lean.write(t, leanOnes);
                applied.addAll(w.applied());
                changes = new ArrayList<>(all.size());
                for (StatusChange c : all) {
                    if (!lean.keepsNoRow(c)) {
                        changes.add(c);
                    }
                }
                changes.addAll(w.rowed());
            }
        }
        // One statement cannot upsert the same row twice; such changes go in later rounds, in order.
        for (List<StatusChange> round : roundsWithUniqueIds(changes)) {
            for (int from = 0; from < round.size(); from += MAX_ROWS_PER_STATEMENT) {
                List<StatusChange> chunk = round.subList(from, Math.min(round.size(), from + MAX_ROWS_PER_STATEMENT));
                Upserted upserted = upsertTasks(t, chunk);
                applied.addAll(upserted.applied());
                List<StatusChange> written = chunk.stream().filter(c -> upserted.applied().contains(c.id())).toList();
                insertTransitions(t, written, upserted.inserted());
                insertDeliveries(t, written);
                outbox.writeTerminal(t, written);
            }
        }
        return applied;
    }

    /*
     * The two statements below carry every batch of the worker's hot path. They are plain JDBC on
     * the transaction's connection, one typed array per column (bound in PostgreSQL's binary array
     * format by the driver: no text rendering, no per-row parameters), because rendering them
     * through jOOQ's generic array binding cost more CPU than PostgreSQL spent executing them.
     * Timestamps travel as microseconds since the epoch (an int8 array) and are rebuilt in SQL,
     * which is cheaper than parsing text. JooqStatusStoreIT covers both against PostgreSQL.
     */

    private static final String UPSERT_TASKS = """
            insert into tasks as t (id, topic, extension, kind, type, status, attempt, reschedules, output,
                result, payload, content_type, callback_url, trace_id, idempotency_key, kafka_key, created_at,
                updated_at, started_at, finished_at, next_run_at)
            select u.id::uuid, u.topic, u.extension, u.kind, u.type, u.status, u.attempt, u.reschedules, u.output,
                u.result::jsonb, u.payload, u.content_type, u.callback_url, u.trace_id, u.idempotency_key, u.kafka_key,
                coalesce(%1$s, now()), coalesce(%2$s, now()), %3$s, %4$s, %5$s
            from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int4[], ?::int4[],
                ?::text[], ?::text[], ?::bytea[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::int8[],
                ?::int8[], ?::int8[], ?::int8[], ?::int8[])
                as u(id, topic, extension, kind, type, status, attempt, reschedules, output, result, payload,
                    content_type, callback_url, trace_id, idempotency_key, kafka_key, created_us, updated_us,
                    started_us, finished_us, next_run_us)
            on conflict (id) do update set
                status = excluded.status,
                attempt = excluded.attempt,
                reschedules = excluded.reschedules,
                extension = coalesce(excluded.extension, t.extension),
                output = case when excluded.status = 'running' then t.output else excluded.output end,
                result = case when excluded.status = 'running' then t.result else excluded.result end,
                updated_at = excluded.updated_at,
                started_at = coalesce(excluded.started_at, t.started_at),
                finished_at = excluded.finished_at,
                next_run_at = excluded.next_run_at
            where %6$s
            returning t.id, t.xmax = 0
            """.formatted(fromMicros("u.created_us"), fromMicros("u.updated_us"), fromMicros("u.started_us"),
            fromMicros("u.finished_us"), fromMicros("u.next_run_us"), movesForwardSql());

    private static final String INSERT_TRANSITIONS = """
            insert into task_transitions (task_id, from_status, to_status, at, attempt, reason, node)
            select u.task_id::uuid, u.from_status, u.to_status, %s, u.attempt, u.reason, ?
            from unnest(?::text[], ?::text[], ?::text[], ?::int8[], ?::int4[], ?::text[])
                as u(task_id, from_status, to_status, at_us, attempt, reason)
            """.formatted(fromMicros("u.at_us"));

    /** SQL form of {@link TaskStatus#isForward}: the stored row is not terminal and the change is newer. */
    private static String movesForwardSql() {
        String terminal = TERMINAL.stream().map(st -> "'" + st.wireName() + "'")
                .collect(java.util.stream.Collectors.joining(", "));
        return "t.status not in (" + terminal + ") and (t.attempt < excluded.attempt or (t.attempt = excluded.attempt"
                + " and " + rankSql("t.status") + " < " + rankSql("excluded.status") + "))";
    }

    private static String rankSql(String status) {
        return "case " + status
                + " when 'queued' then " + TaskStatus.QUEUED.rank()
                + " when 'running' then " + TaskStatus.RUNNING.rank()
                + " when 'rescheduled' then " + TaskStatus.RESCHEDULED.rank()
                + " else " + TaskStatus.DONE.rank() + " end";
    }

    /**
     * The rows an upsert wrote, and which of them it created ({@code xmax = 0}: no transaction
     * has updated the new row version, which holds only for an insert).
     */
    private record Upserted(Set<UUID> applied, Set<UUID> inserted) {}

    private Upserted upsertTasks(DSLContext t, List<StatusChange> chunk) {
        int n = chunk.size();
        String[] id = new String[n], topic = new String[n], extension = new String[n], kind = new String[n],
                type = new String[n], status = new String[n], output = new String[n], result = new String[n],
                contentType = new String[n], callbackUrl = new String[n], traceId = new String[n],
                idempotencyKey = new String[n];
        int[] attempt = new int[n], reschedules = new int[n];
        byte[][] payload = new byte[n][], kafkaKey = new byte[n][];
        Long[] created = new Long[n], updated = new Long[n], started = new Long[n], finished = new Long[n],
                nextRun = new Long[n];
        for (int i = 0; i < n; i++) {
            StatusChange c = chunk.get(i);
            id[i] = c.id().toString();
            topic[i] = c.topic();
            extension[i] = c.extension();
            kind[i] = c.kind().wireName();
            type[i] = c.type();
            status[i] = c.status().wireName();
            attempt[i] = c.attempt();
            reschedules[i] = c.reschedules();
            output[i] = c.output();
            result[i] = c.resultJson();
            payload[i] = c.payload();
            contentType[i] = c.contentType();
            callbackUrl[i] = c.callbackUrl();
            traceId[i] = c.traceId();
            idempotencyKey[i] = c.idempotencyKey();
            kafkaKey[i] = c.kafkaKey();
            created[i] = micros(c.createdAt());
            updated[i] = micros(c.at());
            started[i] = micros(c.startedAt());
            finished[i] = micros(c.finishedAt());
            nextRun[i] = micros(c.nextRunAt());
        }
        Object[] params = {id, topic, extension, kind, type, status, attempt, reschedules, output, result, payload,
                contentType, callbackUrl, traceId, idempotencyKey, kafkaKey, created, updated, started, finished, nextRun};
        return t.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(UPSERT_TASKS)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                Set<UUID> applied = new HashSet<>(n * 2);
                Set<UUID> inserted = new HashSet<>(n * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        UUID rowId = rs.getObject(1, UUID.class);
                        applied.add(rowId);
                        if (rs.getBoolean(2)) {
                            inserted.add(rowId);
                        }
                    }
                }
                return new Upserted(applied, inserted);
            }
        });
    }

    /**
     * Every task's history starts with {@code → queued} at its acceptance time. A change that
     * creates the row (the worker saw the record before the recorder did) carries the worker's
     * view, which starts elsewhere; its history gets that first step here, from the same facts the
     * recorder would have written.
     */
    private static List<Transition> history(StatusChange c, boolean created) {
        List<Transition> transitions = c.transitions();
        if (transitions.isEmpty() || transitions.get(0).to() == TaskStatus.QUEUED) {
            return transitions;
        }
        if (!created) {
            Transition first = transitions.get(0);
            if (first.from() != null) {
                return transitions;
            }
            // The worker polled before any row existed, and the queued row of the acceptance came
            // in between (an interactive task is written at acceptance while it already runs):
            // the change starts from that row, not from nothing.
            List<Transition> out = new ArrayList<>(transitions);
            out.set(0, new Transition(TaskStatus.QUEUED, first.to(), first.at(), first.reason()));
            return out;
        }
        Transition first = transitions.get(0);
        List<Transition> out = new ArrayList<>(transitions.size() + 1);
        Instant acceptedAt = c.createdAt().isAfter(first.at()) ? first.at() : c.createdAt();
        out.add(new Transition(null, TaskStatus.QUEUED, acceptedAt, null));
        out.add(first.from() == null ? new Transition(TaskStatus.QUEUED, first.to(), first.at(), first.reason()) : first);
        out.addAll(transitions.subList(1, transitions.size()));
        return out;
    }

    private void insertTransitions(DSLContext t, List<StatusChange> written, Set<UUID> inserted) {
        List<List<Transition>> histories = new ArrayList<>(written.size());
        int n = 0;
        for (StatusChange c : written) {
            List<Transition> h = history(c, inserted.contains(c.id()));
            histories.add(h);
            n += h.size();
        }
        if (n == 0) {
            return;
        }
        String[] taskId = new String[n], from = new String[n], to = new String[n], reason = new String[n];
        Long[] at = new Long[n];
        int[] attempt = new int[n];
        int i = 0;
        for (int w = 0; w < written.size(); w++) {
            StatusChange c = written.get(w);
            String id = c.id().toString();
            for (Transition tr : histories.get(w)) {
                taskId[i] = id;
                from[i] = tr.from() == null ? null : tr.from().wireName();
                to[i] = tr.to().wireName();
                at[i] = micros(tr.at());
                attempt[i] = c.attempt();
                reason[i] = tr.reason();
                i++;
            }
        }
        t.connection(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(INSERT_TRANSITIONS)) {
                ps.setString(1, node);
                ps.setObject(2, taskId);
                ps.setObject(3, from);
                ps.setObject(4, to);
                ps.setObject(5, at);
                ps.setObject(6, attempt);
                ps.setObject(7, reason);
                ps.executeUpdate();
            }
        });
    }

    private static final String INSERT_DELIVERIES = """
            insert into scheduled_deliveries (task_id, attempt, topic, record_key, headers, payload, due_at)
            select u.task_id::uuid, u.attempt, u.topic, u.record_key, u.headers::jsonb, u.payload, %s
            from unnest(?::text[], ?::int4[], ?::text[], ?::bytea[], ?::text[], ?::bytea[], ?::int8[])
                as u(task_id, attempt, topic, record_key, headers, payload, due_us)
            on conflict (task_id, attempt) do nothing
            """.formatted(fromMicros("u.due_us"));

    /**
     * The deliveries of the written changes, one statement (typed arrays, like the statements
     * above: the delayed intake and every batch with reschedules write these).
     */
    private static void insertDeliveries(DSLContext t, List<StatusChange> written) {
        int n = 0;
        for (StatusChange c : written) {
            if (c.delivery() != null) {
                n++;
            }
        }
        if (n == 0) {
            return;
        }
        String[] taskId = new String[n], topic = new String[n], headers = new String[n];
        int[] attempt = new int[n];
        byte[][] key = new byte[n][], payload = new byte[n][];
        Long[] due = new Long[n];
        int i = 0;
        for (StatusChange c : written) {
            ScheduledDelivery d = c.delivery();
            if (d == null) {
                continue;
            }
            ObjectNode h = Json.emptyObject();
            d.headers().forEach(h::put);
            taskId[i] = d.taskId().toString();
            attempt[i] = d.attempt();
            topic[i] = d.topic();
            key[i] = d.key();
            headers[i] = h.toString();
            payload[i] = d.payload();
            due[i] = micros(d.dueAt());
            i++;
        }
        Object[] params = {taskId, attempt, topic, key, headers, payload, due};
        t.connection(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(INSERT_DELIVERIES)) {
                for (int p = 0; p < params.length; p++) {
                    ps.setObject(p + 1, params[p]);
                }
                ps.executeUpdate();
            }
        });
    }

    private static List<List<StatusChange>> roundsWithUniqueIds(List<StatusChange> changes) {
        List<List<StatusChange>> rounds = roundsInArrivalOrder(changes);
        rounds.forEach(r -> r.sort(java.util.Comparator.comparing(StatusChange::id, JooqStatusStore.LOCK_ORDER)));
        return rounds;
    }

    private static List<List<StatusChange>> roundsInArrivalOrder(List<StatusChange> changes) {
        List<List<StatusChange>> rounds = new ArrayList<>();
        Map<UUID, Integer> seen = new LinkedHashMap<>();
        for (StatusChange c : changes) {
            int round = seen.merge(c.id(), 0, (old, zero) -> old + 1);
            while (rounds.size() <= round) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(c);
        }
        return rounds;
    }
}
