package dev.conveyor.schema.status;

import static dev.conveyor.schema.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import java.time.Instant;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConnectionProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link StatusStore} on PostgreSQL: one {@code unnest} upsert into {@code tasks} (guarded so
 * rows only move forward), one {@code unnest} insert into {@code task_transitions}, one
 * multi-row insert into {@code scheduled_deliveries} and, only when some applied change made a
 * task terminal and has somewhere to go (a callback URL, a matching notification), one
 * {@code unnest} insert into {@code outbox}: all in one transaction per batch, so a terminal
 * status is never durable without its outbound deliveries.
 */
public final class JooqStatusStore implements StatusStore {

    /** Rows per statement: bounds the arrays one statement binds and the rows it locks at once. */
    static final int MAX_ROWS_PER_STATEMENT = 1000;

    /** CloudEvents source of the records that operator retries produce. */
    public static final String RETRY_SOURCE = "conveyor:retry";

    private static final Logger log = LoggerFactory.getLogger(JooqStatusStore.class);
    private static final Set<TaskStatus> CANCELLABLE = EnumSet.of(TaskStatus.QUEUED, TaskStatus.RESCHEDULED);
    private static final Set<TaskStatus> RETRYABLE =
            EnumSet.of(TaskStatus.FAILED, TaskStatus.DEAD, TaskStatus.SKIPPED, TaskStatus.CANCELLED);

    private static final List<TaskStatus> TERMINAL =
            List.of(TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED, TaskStatus.DEAD);

    private final DSLContext dsl;
    private final String node;
    private final OutboxRouting routing;

    /**
     * Without notifications: terminal changes of tasks with a callback URL still get outbox rows.
     *
     * @param dsl jOOQ over the process's one pool
     * @param node name of this node, written to {@code task_transitions.node}
     */
    public JooqStatusStore(DSLContext dsl, String node) {
        this(dsl, node, OutboxRouting.NONE);
    }

    /** @param routing the notifications terminal changes are sent to, besides their callback URL */
    public JooqStatusStore(DSLContext dsl, String node, OutboxRouting routing) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.node = Objects.requireNonNull(node, "node");
        this.routing = Objects.requireNonNull(routing, "routing");
    }

    @Override
    public Map<UUID, TaskState> load(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return load(dsl, ids);
    }

    /**
     * The lookup behind {@link #load} on any jOOQ context. It is always a primary-key lookup; a
     * caller that runs it per poll should use a connection with {@code enable_seqscan = off}
     * (see the worker's state reader): while the table's statistics are stale (a new installation,
     * right after a bulk load) the planner may otherwise believe {@code tasks} is tiny and scan
     * all of it on every poll.
     */
    public static Map<UUID, TaskState> load(DSLContext dsl, Collection<UUID> ids) {
        // Plain JDBC with the ids as one binary text array: this runs on the poll thread for every
        // poll, and jOOQ's rendering of a 1000-element uuid array cost more than the lookup.
        String[] keys = new String[ids.size()];
        int i = 0;
        for (UUID id : ids) {
            keys[i++] = id.toString();
        }
        return dsl.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(LOAD_STATES)) {
                ps.setObject(1, keys);
                Map<UUID, TaskState> states = new HashMap<>(keys.length * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        UUID id = rs.getObject(1, UUID.class);
                        states.put(id, new TaskState(id, TaskStatus.fromWire(rs.getString(2)), rs.getInt(3),
                                rs.getInt(4)));
                    }
                }
                return states;
            }
        });
    }

    private static final String LOAD_STATES =
            "select id, status, attempt, reschedules from tasks where id = any(?::text[]::uuid[])";

    @Override
    public Set<UUID> apply(List<StatusChange> changes) {
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

    private Set<UUID> applyIn(DSLContext t, List<StatusChange> changes) {
        Set<UUID> applied = new HashSet<>();
        // One statement cannot upsert the same row twice; such changes go in later rounds, in order.
        for (List<StatusChange> round : roundsWithUniqueIds(changes)) {
            for (int from = 0; from < round.size(); from += MAX_ROWS_PER_STATEMENT) {
                List<StatusChange> chunk = round.subList(from, Math.min(round.size(), from + MAX_ROWS_PER_STATEMENT));
                Set<UUID> chunkApplied = upsertTasks(t, chunk);
                applied.addAll(chunkApplied);
                List<StatusChange> written = chunk.stream().filter(c -> chunkApplied.contains(c.id())).toList();
                insertTransitions(t, written);
                insertDeliveries(t, written);
                insertOutbox(t, written);
            }
        }
        return applied;
    }

    @Override
    public Cancellation cancel(UUID id, String reason, Instant at) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            var row = t.select(TASKS.STATUS, TASKS.ATTEMPT, TASKS.TOPIC, TASKS.CALLBACK_URL).from(TASKS)
                    .where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return new Cancellation.NotFound();
            }
            if (!CANCELLABLE.contains(row.value1())) {
                return new Cancellation.Refused(row.value1());
            }
            List<Integer> removed = t.deleteFrom(SCHEDULED_DELIVERIES).where(SCHEDULED_DELIVERIES.TASK_ID.eq(id))
                    .returning(SCHEDULED_DELIVERIES.ATTEMPT).fetch(SCHEDULED_DELIVERIES.ATTEMPT);
            int attempt = cancelledAttempt(row.value1(), row.value2(), removed);
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.CANCELLED)
                    .set(TASKS.ATTEMPT, attempt)
                    .set(TASKS.OUTPUT, reason)
                    .set(TASKS.UPDATED_AT, at)
                    .set(TASKS.FINISHED_AT, at)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            insertTransition(t, id, row.value1(), TaskStatus.CANCELLED, at, attempt, reason);
            writeOutbox(t, outboxRows(id, row.value3(), TaskStatus.CANCELLED, row.value4()));
            return new Cancellation.Cancelled();
        });
    }

    /**
     * The attempt a cancel ends: the delivery the task was waiting for. A {@code rescheduled} task
     * at attempt {@code n} waits for the record of attempt {@code n + 1}, and that record may
     * already exist although its {@code scheduled_deliveries} row is still there (or already gone):
     * a scheduler claims rows ahead of their due time, sends the records up to a second early and
     * requeues the task only afterwards. So the cancelled row records {@code n + 1}, and a retry
     * then delivers {@code n + 2}: the record that was claimed before the cancel is superseded (the
     * worker does not run an attempt older than the stored one) instead of being a second record of
     * the retried attempt. Before this, the retry reused {@code n + 1}, and two records of one task
     * and attempt could both run, on two workers. A {@code queued} task's attempt is the record it
     * waits for already.
     */
    static int cancelledAttempt(TaskStatus status, int attempt, List<Integer> removedDeliveries) {
        int cancelled = status == TaskStatus.RESCHEDULED ? attempt + 1 : attempt;
        for (Integer removed : removedDeliveries) {
            cancelled = Math.max(cancelled, removed);
        }
        return cancelled;
    }

    @Override
    public Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver) {
        Objects.requireNonNull(deliver, "deliver");
        PreparedRetry prepared = dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            TasksRecord row = t.selectFrom(TASKS).where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return new PreparedRetry(new Retry.NotFound(), null, 0);
            }
            if (!RETRYABLE.contains(row.getStatus())) {
                return new PreparedRetry(new Retry.Refused(row.getStatus()), null, 0);
            }
            int attempt = row.getAttempt() + 1;
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.QUEUED)
                    .set(TASKS.ATTEMPT, attempt)
                    .set(TASKS.UPDATED_AT, at)
                    .setNull(TASKS.FINISHED_AT)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            long seq = insertTransition(t, id, row.getStatus(), TaskStatus.QUEUED, at, attempt, reason);
            return new PreparedRetry(new Retry.Retried(retriedTask(row, attempt)), row, seq);
        });
        if (!(prepared.result() instanceof Retry.Retried retried)) {
            return prepared.result();
        }
        try {
            deliver.accept(retried.task());
            return retried;
        } catch (RuntimeException e) {
            boolean undone;
            try {
                undone = undoRetry(prepared.before(), retried.task().attempt(), prepared.transitionSeq());
            } catch (RuntimeException undoFailed) {
                log.error("Task {} was set to queued at attempt {} for a retry, but its record was not delivered and "
                        + "putting the row back failed: it stays queued without a record until an operator fixes it",
                        id, retried.task().attempt(), undoFailed);
                e.addSuppressed(undoFailed);
                throw e;
            }
            if (undone) {
                throw e;
            }
            log.warn("Delivering the retry of task {} reported an error, but a worker already moved the task on: "
                    + "the record did arrive; the retry stands ({})", id, e.toString());
            return retried;
        }
    }

    /** The outcome of the retry transaction and what is needed to undo it. */
    private record PreparedRetry(Retry result, TasksRecord before, long transitionSeq) {}

    /**
     * Puts a retried row back as it was before the retry, unless it has moved on since.
     *
     * @return false when the row is no longer queued at {@code attempt} (a worker took the record)
     */
    private boolean undoRetry(TasksRecord before, int attempt, long transitionSeq) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            int rows = t.update(TASKS)
                    .set(TASKS.STATUS, before.getStatus())
                    .set(TASKS.ATTEMPT, before.getAttempt())
                    .set(TASKS.UPDATED_AT, before.getUpdatedAt())
                    .set(TASKS.FINISHED_AT, before.getFinishedAt())
                    .set(TASKS.NEXT_RUN_AT, before.getNextRunAt())
                    .where(TASKS.ID.eq(before.getId()), TASKS.STATUS.eq(TaskStatus.QUEUED), TASKS.ATTEMPT.eq(attempt))
                    .execute();
            if (rows == 0) {
                return false;
            }
            t.deleteFrom(TASK_TRANSITIONS)
                    .where(TASK_TRANSITIONS.TASK_ID.eq(before.getId()), TASK_TRANSITIONS.SEQ.eq(transitionSeq))
                    .execute();
            return true;
        });
    }

    /**
     * The task a retry delivers, rebuilt from its row. The CloudEvents id is the task id's text,
     * which the codec decodes back to the same task id whatever the source. Not stored, hence not
     * carried again: the record key (ordering key) and the original CloudEvents source and
     * extension headers.
     */
    static Task retriedTask(TasksRecord row, int attempt) {
        return Task.builder(row.getId())
                .eventId(row.getId().toString())
                .source(RETRY_SOURCE)
                .topic(row.getTopic())
                .kind(row.getKind())
                .type(row.getType())
                .attempt(attempt)
                .payload(row.getPayload())
                .contentType(row.getContentType())
                .createdAt(row.getCreatedAt())
                .traceId(row.getTraceId())
                .callbackUrl(row.getCallbackUrl())
                .idempotencyKey(row.getIdempotencyKey())
                .build();
    }

    private long insertTransition(DSLContext t, UUID id, TaskStatus from, TaskStatus to, Instant at, int attempt,
            String reason) {
        return t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                        TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT,
                        TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                .values(id, from, to, at, attempt, reason, node)
                .returning(TASK_TRANSITIONS.SEQ)
                .fetchOne()
                .getSeq();
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
                result, payload, content_type, callback_url, trace_id, created_at, updated_at, started_at,
                finished_at, next_run_at)
            select u.id::uuid, u.topic, u.extension, u.kind, u.type, u.status, u.attempt, u.reschedules, u.output,
                u.result::jsonb, u.payload, u.content_type, u.callback_url, u.trace_id,
                coalesce(%1$s, now()), coalesce(%2$s, now()), %3$s, %4$s, %5$s
            from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int4[], ?::int4[],
                ?::text[], ?::text[], ?::bytea[], ?::text[], ?::text[], ?::text[], ?::int8[], ?::int8[],
                ?::int8[], ?::int8[], ?::int8[])
                as u(id, topic, extension, kind, type, status, attempt, reschedules, output, result, payload,
                    content_type, callback_url, trace_id, created_us, updated_us, started_us, finished_us,
                    next_run_us)
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
            returning t.id
            """.formatted(micros("u.created_us"), micros("u.updated_us"), micros("u.started_us"),
            micros("u.finished_us"), micros("u.next_run_us"), movesForwardSql());

    private static final String INSERT_TRANSITIONS = """
            insert into task_transitions (task_id, from_status, to_status, at, attempt, reason, node)
            select u.task_id::uuid, u.from_status, u.to_status, %s, u.attempt, u.reason, ?
            from unnest(?::text[], ?::text[], ?::text[], ?::int8[], ?::int4[], ?::text[])
                as u(task_id, from_status, to_status, at_us, attempt, reason)
            """.formatted(micros("u.at_us"));

    /** SQL turning microseconds since the epoch back into a timestamptz (null stays null). */
    private static String micros(String column) {
        return "(timestamptz 'epoch' + " + column + " * interval '1 microsecond')";
    }

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

    private Set<UUID> upsertTasks(DSLContext t, List<StatusChange> chunk) {
        int n = chunk.size();
        String[] id = new String[n], topic = new String[n], extension = new String[n], kind = new String[n],
                type = new String[n], status = new String[n], output = new String[n], result = new String[n],
                contentType = new String[n], callbackUrl = new String[n], traceId = new String[n];
        int[] attempt = new int[n], reschedules = new int[n];
        byte[][] payload = new byte[n][];
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
            created[i] = micros(c.createdAt());
            updated[i] = micros(c.at());
            started[i] = micros(c.startedAt());
            finished[i] = micros(c.finishedAt());
            nextRun[i] = micros(c.nextRunAt());
        }
        Object[] params = {id, topic, extension, kind, type, status, attempt, reschedules, output, result, payload,
                contentType, callbackUrl, traceId, created, updated, started, finished, nextRun};
        return t.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(UPSERT_TASKS)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                Set<UUID> applied = new HashSet<>(n * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        applied.add(rs.getObject(1, UUID.class));
                    }
                }
                return applied;
            }
        });
    }

    /**
     * Microseconds since the epoch, rounded the way PostgreSQL rounds a timestamp given in text
     * with more digits (half to even): the same instant written here and through a jOOQ bind
     * (scheduled_deliveries.due_at) must be equal in the database.
     */
    static Long micros(Instant instant) {
        return instant == null ? null
                : Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L),
                        (long) Math.rint(instant.getNano() / 1_000.0));
    }

    private void insertTransitions(DSLContext t, List<StatusChange> written) {
        int n = 0;
        for (StatusChange c : written) {
            n += c.transitions().size();
        }
        if (n == 0) {
            return;
        }
        String[] taskId = new String[n], from = new String[n], to = new String[n], reason = new String[n];
        Long[] at = new Long[n];
        int[] attempt = new int[n];
        int i = 0;
        for (StatusChange c : written) {
            String id = c.id().toString();
            for (Transition tr : c.transitions()) {
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
            """.formatted(micros("u.due_us"));

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

    private static final String INSERT_OUTBOX = """
            insert into outbox (task_id, status, kind, target, url)
            select u.task_id::uuid, u.status, u.kind, u.target, u.url
            from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as u(task_id, status, kind, target, url)
            on conflict (task_id, status, target) do nothing
            """;

    /** An {@code outbox} row to write: {@code kind} is callback or notification. */
    private record OutboxRow(UUID taskId, TaskStatus status, String kind, String target, String url) {}

    /** The outbox rows of the applied changes that made a task terminal; usually none. */
    private void insertOutbox(DSLContext t, List<StatusChange> written) {
        List<OutboxRow> rows = null;
        for (StatusChange c : written) {
            if (!c.status().isTerminal()) {
                continue;
            }
            List<OutboxRow> of = outboxRows(c.id(), c.topic(), c.status(), c.callbackUrl());
            if (!of.isEmpty()) {
                if (rows == null) {
                    rows = new ArrayList<>();
                }
                rows.addAll(of);
            }
        }
        if (rows != null) {
            writeOutbox(t, rows);
        }
    }

    private List<OutboxRow> outboxRows(UUID id, String topic, TaskStatus status, String callbackUrl) {
        List<OutboxRouting.Target> notifications = routing.notifications(topic, status);
        if (callbackUrl == null && notifications.isEmpty()) {
            return List.of();
        }
        List<OutboxRow> rows = new ArrayList<>(notifications.size() + 1);
        if (callbackUrl != null && !callbackUrl.isBlank()) {
            rows.add(new OutboxRow(id, status, "callback", "callback", callbackUrl));
        }
        for (OutboxRouting.Target n : notifications) {
            rows.add(new OutboxRow(id, status, "notification", "notification:" + n.name(), n.url()));
        }
        return rows;
    }

    private static void writeOutbox(DSLContext t, List<OutboxRow> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        String[] taskId = new String[n], status = new String[n], kind = new String[n], target = new String[n],
                url = new String[n];
        for (int i = 0; i < n; i++) {
            OutboxRow r = rows.get(i);
            taskId[i] = r.taskId().toString();
            status[i] = r.status().wireName();
            kind[i] = r.kind();
            target[i] = r.target();
            url[i] = r.url();
        }
        t.connection(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(INSERT_OUTBOX)) {
                ps.setObject(1, taskId);
                ps.setObject(2, status);
                ps.setObject(3, kind);
                ps.setObject(4, target);
                ps.setObject(5, url);
                ps.executeUpdate();
            }
        });
    }

    /**
     * Row-lock order of every writer: PostgreSQL's uuid order (unsigned, byte by byte). Writers
     * that lock the same rows in the same order wait for each other instead of deadlocking.
     */
    public static final java.util.Comparator<UUID> LOCK_ORDER = java.util.Comparator
            .comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
            .thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

    private static List<List<StatusChange>> roundsWithUniqueIds(List<StatusChange> changes) {
        List<List<StatusChange>> rounds = roundsInArrivalOrder(changes);
        rounds.forEach(r -> r.sort(java.util.Comparator.comparing(StatusChange::id, LOCK_ORDER)));
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
