package dev.conveyor.schema.status;

import static dev.conveyor.schema.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.when;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.QueryPart;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.SQLDataType;
import java.time.Instant;
import java.util.Base64;
import org.jooq.impl.DSL;

/**
 * {@link StatusStore} on PostgreSQL through jOOQ: one multi-row upsert into {@code tasks}
 * (guarded so rows only move forward), one multi-row insert into {@code task_transitions} and
 * one into {@code scheduled_deliveries}, in one transaction per batch.
 */
public final class JooqStatusStore implements StatusStore {

    /** Rows per statement: 20 columns × 1000 rows stays well under PostgreSQL's 65,535 bind parameters. */
    static final int MAX_ROWS_PER_STATEMENT = 1000;

    private static final List<TaskStatus> TERMINAL =
            List.of(TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED, TaskStatus.DEAD);

    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private final DSLContext dsl;
    private final String node;

    /**
     * @param dsl jOOQ over the process's one pool
     * @param node name of this node, written to {@code task_transitions.node}
     */
    public JooqStatusStore(DSLContext dsl, String node) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.node = Objects.requireNonNull(node, "node");
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
        Map<UUID, TaskState> states = new HashMap<>(ids.size() * 2);
        dsl.select(TASKS.ID, TASKS.STATUS, TASKS.ATTEMPT, TASKS.RESCHEDULES)
                .from(TASKS)
                .where(TASKS.ID.eq(DSL.any(ids.toArray(UUID[]::new))))
                .fetch()
                .forEach(r -> states.put(r.value1(), new TaskState(r.value1(), r.value2(), r.value3(), r.value4())));
        return states;
    }

    @Override
    public Set<UUID> apply(List<StatusChange> changes) {
        if (changes.isEmpty()) {
            return Set.of();
        }
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
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
                }
            }
            return applied;
        });
    }

    @Override
    public Cancellation cancel(UUID id, String reason, java.time.Instant at) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            var row = t.select(TASKS.STATUS, TASKS.ATTEMPT).from(TASKS).where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return Cancellation.NOT_FOUND;
            }
            if (row.value1().isTerminal()) {
                return Cancellation.ALREADY_FINISHED;
            }
            t.deleteFrom(SCHEDULED_DELIVERIES).where(SCHEDULED_DELIVERIES.TASK_ID.eq(id)).execute();
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.CANCELLED)
                    .set(TASKS.OUTPUT, reason)
                    .set(TASKS.UPDATED_AT, at)
                    .set(TASKS.FINISHED_AT, at)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                            TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT,
                            TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                    .values(id, row.value1(), TaskStatus.CANCELLED, at, row.value2(), reason, node)
                    .execute();
            return Cancellation.CANCELLED;
        });
    }

    private Set<UUID> upsertTasks(DSLContext t, List<StatusChange> chunk) {
        int n = chunk.size();
        String[][] cols = new String[19][n];
        for (int i = 0; i < n; i++) {
            StatusChange c = chunk.get(i);
            cols[0][i] = c.id().toString();
            cols[1][i] = c.topic();
            cols[2][i] = c.extension();
            cols[3][i] = c.kind().wireName();
            cols[4][i] = c.type();
            cols[5][i] = c.status().wireName();
            cols[6][i] = Integer.toString(c.attempt());
            cols[7][i] = Integer.toString(c.reschedules());
            cols[8][i] = c.output();
            cols[9][i] = c.resultJson();
            cols[10][i] = c.payload() == null ? null : BASE64.encodeToString(c.payload());
            cols[11][i] = c.contentType();
            cols[12][i] = c.callbackUrl();
            cols[13][i] = c.traceId();
            cols[14][i] = text(c.createdAt());
            cols[15][i] = text(c.at());
            cols[16][i] = text(c.startedAt());
            cols[17][i] = text(c.finishedAt());
            cols[18][i] = text(c.nextRunAt());
        }
        // One bind parameter per column (an array), whatever the batch size: multi-row VALUES would
        // bind 19 parameters per row and cost far more to render and bind than the insert itself.
        Table<Record> u = unnest("u", cols, "uuid", "text", "text", "text", "text", "text", "int4", "int4", "text",
                "jsonb", "text", "text", "text", "text", "timestamptz", "timestamptz", "timestamptz", "timestamptz",
                "timestamptz");
        Field<TaskStatus> newStatus = excluded(TASKS.STATUS);
        Condition running = newStatus.eq(TaskStatus.RUNNING);
        return new HashSet<>(t.insertInto(TASKS,
                        TASKS.ID, TASKS.TOPIC, TASKS.EXTENSION, TASKS.KIND, TASKS.TYPE, TASKS.STATUS, TASKS.ATTEMPT,
                        TASKS.RESCHEDULES, TASKS.OUTPUT, TASKS.RESULT, TASKS.PAYLOAD, TASKS.CONTENT_TYPE,
                        TASKS.CALLBACK_URL, TASKS.TRACE_ID, TASKS.CREATED_AT, TASKS.UPDATED_AT, TASKS.STARTED_AT,
                        TASKS.FINISHED_AT, TASKS.NEXT_RUN_AT)
                .select(DSL.select(
                                DSL.field(DSL.name("u", "c0"), TASKS.ID.getDataType()),
                                DSL.field(DSL.name("u", "c1"), TASKS.TOPIC.getDataType()),
                                DSL.field(DSL.name("u", "c2"), TASKS.EXTENSION.getDataType()),
                                DSL.field(DSL.name("u", "c3"), TASKS.KIND.getDataType()),
                                DSL.field(DSL.name("u", "c4"), TASKS.TYPE.getDataType()),
                                DSL.field(DSL.name("u", "c5"), TASKS.STATUS.getDataType()),
                                DSL.field(DSL.name("u", "c6"), TASKS.ATTEMPT.getDataType()),
                                DSL.field(DSL.name("u", "c7"), TASKS.RESCHEDULES.getDataType()),
                                DSL.field(DSL.name("u", "c8"), TASKS.OUTPUT.getDataType()),
                                DSL.field(DSL.name("u", "c9"), TASKS.RESULT.getDataType()),
                                DSL.field("decode({0}, 'base64')", TASKS.PAYLOAD.getDataType(), DSL.field(DSL.name("u", "c10"))),
                                DSL.field(DSL.name("u", "c11"), TASKS.CONTENT_TYPE.getDataType()),
                                DSL.field(DSL.name("u", "c12"), TASKS.CALLBACK_URL.getDataType()),
                                DSL.field(DSL.name("u", "c13"), TASKS.TRACE_ID.getDataType()),
                                DSL.field(DSL.name("u", "c14"), TASKS.CREATED_AT.getDataType()),
                                DSL.field(DSL.name("u", "c15"), TASKS.UPDATED_AT.getDataType()),
                                DSL.field(DSL.name("u", "c16"), TASKS.STARTED_AT.getDataType()),
                                DSL.field(DSL.name("u", "c17"), TASKS.FINISHED_AT.getDataType()),
                                DSL.field(DSL.name("u", "c18"), TASKS.NEXT_RUN_AT.getDataType()))
                        .from(u))
                .onConflict(TASKS.ID)
                .doUpdate()
                .set(TASKS.STATUS, newStatus)
                .set(TASKS.ATTEMPT, excluded(TASKS.ATTEMPT))
                .set(TASKS.RESCHEDULES, excluded(TASKS.RESCHEDULES))
                .set(TASKS.EXTENSION, DSL.coalesce(excluded(TASKS.EXTENSION), TASKS.EXTENSION))
                // While a new execution runs, the previous attempt's output and result stay visible.
                .set(TASKS.OUTPUT, when(running, TASKS.OUTPUT).otherwise(excluded(TASKS.OUTPUT)))
                .set(TASKS.RESULT, when(running, TASKS.RESULT).otherwise(excluded(TASKS.RESULT)))
                .set(TASKS.UPDATED_AT, excluded(TASKS.UPDATED_AT))
                .set(TASKS.STARTED_AT, DSL.coalesce(excluded(TASKS.STARTED_AT), TASKS.STARTED_AT))
                .set(TASKS.FINISHED_AT, excluded(TASKS.FINISHED_AT))
                .set(TASKS.NEXT_RUN_AT, excluded(TASKS.NEXT_RUN_AT))
                .where(movesForward())
                .returning(TASKS.ID)
                .fetch(TASKS.ID));
    }

    /**
     * {@code unnest(?::type1[], ?::type2[], ...) as alias(c0, c1, ...)}: each column bound as one
     * text array and cast to its element type by PostgreSQL.
     */
    private static Table<Record> unnest(String alias, String[][] columns, String... types) {
        StringBuilder sql = new StringBuilder("unnest(");
        QueryPart[] params = new QueryPart[columns.length];
        String[] names = new String[columns.length];
        for (int i = 0; i < columns.length; i++) {
            sql.append(i == 0 ? "" : ", ").append('{').append(i).append("}::").append(types[i]).append("[]");
            params[i] = DSL.val(columns[i], SQLDataType.CLOB.array());
            names[i] = "c" + i;
        }
        return DSL.table(sql.append(')').toString(), params).as(alias, names);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** SQL form of {@link TaskStatus#isForward}: the stored row is not terminal and the change is newer. */
    private static Condition movesForward() {
        Field<Integer> stored = rank(TASKS.STATUS);
        Field<Integer> incoming = rank(excluded(TASKS.STATUS));
        return TASKS.STATUS.notIn(TERMINAL)
                .and(TASKS.ATTEMPT.lt(excluded(TASKS.ATTEMPT))
                        .or(TASKS.ATTEMPT.eq(excluded(TASKS.ATTEMPT)).and(stored.lt(incoming))));
    }

    private static Field<Integer> rank(Field<TaskStatus> status) {
        return when(status.eq(TaskStatus.QUEUED), inline(TaskStatus.QUEUED.rank()))
                .when(status.eq(TaskStatus.RUNNING), inline(TaskStatus.RUNNING.rank()))
                .when(status.eq(TaskStatus.RESCHEDULED), inline(TaskStatus.RESCHEDULED.rank()))
                .otherwise(inline(TaskStatus.DONE.rank()));
    }

    private void insertTransitions(DSLContext t, List<StatusChange> written) {
        int n = 0;
        for (StatusChange c : written) {
            n += c.transitions().size();
        }
        if (n == 0) {
            return;
        }
        String[][] cols = new String[7][n];
        int i = 0;
        for (StatusChange c : written) {
            for (Transition tr : c.transitions()) {
                cols[0][i] = c.id().toString();
                cols[1][i] = tr.from() == null ? null : tr.from().wireName();
                cols[2][i] = tr.to().wireName();
                cols[3][i] = tr.at().toString();
                cols[4][i] = Integer.toString(c.attempt());
                cols[5][i] = tr.reason();
                cols[6][i] = node;
                i++;
            }
        }
        Table<Record> u = unnest("u", cols, "uuid", "text", "text", "timestamptz", "int4", "text", "text");
        t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                        TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT,
                        TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                .select(DSL.select(
                                DSL.field(DSL.name("u", "c0"), TASK_TRANSITIONS.TASK_ID.getDataType()),
                                DSL.field(DSL.name("u", "c1"), TASK_TRANSITIONS.FROM_STATUS.getDataType()),
                                DSL.field(DSL.name("u", "c2"), TASK_TRANSITIONS.TO_STATUS.getDataType()),
                                DSL.field(DSL.name("u", "c3"), TASK_TRANSITIONS.AT.getDataType()),
                                DSL.field(DSL.name("u", "c4"), TASK_TRANSITIONS.ATTEMPT.getDataType()),
                                DSL.field(DSL.name("u", "c5"), TASK_TRANSITIONS.REASON.getDataType()),
                                DSL.field(DSL.name("u", "c6"), TASK_TRANSITIONS.NODE.getDataType()))
                        .from(u))
                .execute();
    }

    private static void insertDeliveries(DSLContext t, List<StatusChange> written) {
        var insert = t.insertInto(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT,
                SCHEDULED_DELIVERIES.TOPIC, SCHEDULED_DELIVERIES.RECORD_KEY, SCHEDULED_DELIVERIES.HEADERS,
                SCHEDULED_DELIVERIES.PAYLOAD, SCHEDULED_DELIVERIES.DUE_AT);
        boolean any = false;
        for (StatusChange c : written) {
            ScheduledDelivery d = c.delivery();
            if (d != null) {
                ObjectNode headers = Json.emptyObject();
                d.headers().forEach(headers::put);
                insert = insert.values(d.taskId(), d.attempt(), d.topic(), d.key(), JSONB.valueOf(headers.toString()),
                        d.payload(), d.dueAt());
                any = true;
            }
        }
        if (any) {
            insert.onConflict(SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT).doNothing().execute();
        }
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
