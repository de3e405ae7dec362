package dev.conveyor.store;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * {@link StatusStore} on PostgreSQL. The work is split by who calls it: {@link ChangeBatchWriter}
 * writes the batched transitions (the worker's and the delayed intake's), {@link DueRequeue} the
 * scheduler's requeue, {@link OperatorTransitions} an operator's cancel and retry; all of them
 * write {@code outbox} rows through one {@link OutboxWriter}, in the transaction that made a task
 * terminal, so a terminal status is never durable without its outbound deliveries.
 */
public final class JooqStatusStore implements StatusStore {

    /** CloudEvents source of the records that operator retries produce. */
    public static final String RETRY_SOURCE = "conveyor:retry";

    /**
     * Row-lock order of every writer: PostgreSQL's uuid order (unsigned, byte by byte). Writers
     * that lock the same rows in the same order wait for each other instead of deadlocking.
     */
    public static final Comparator<UUID> LOCK_ORDER = Comparator
            .comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
            .thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

    private final DSLContext dsl;
    private final ChangeBatchWriter batches;
    private final DueRequeue requeue;
    private final OperatorTransitions operator;
    private final QueuedRows queued;
    private final StatusModes modes;

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
        this(dsl, node, routing, StatusModes.FULL);
    }

    /**
     * @param routing the notifications terminal changes are sent to, besides their callback URL
     * @param modes which topics are lean: their first-run successes and acceptances keep no row
     */
    public JooqStatusStore(DSLContext dsl, String node, OutboxRouting routing, StatusModes modes) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        Objects.requireNonNull(node, "node");
        this.modes = Objects.requireNonNull(modes, "modes");
        OutboxWriter outbox = new OutboxWriter(routing);
        this.batches = new ChangeBatchWriter(dsl, node, outbox, new LeanOutcomes(modes, outbox));
        this.requeue = new DueRequeue(node);
        this.operator = new OperatorTransitions(dsl, node, outbox);
        this.queued = new QueuedRows(dsl, node);
    }

    @Override
    public Map<UUID, TaskState> load(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return load(dsl, ids, modes.anyLean());
    }

    /**
     * The lookup behind {@link #load} on any jOOQ context. It is always a primary-key lookup; a
     * caller that runs it per poll should use a connection with {@code enable_seqscan = off}
     * (see the worker's state reader): while the table's statistics are stale (a new installation,
     * right after a bulk load) the planner may otherwise believe {@code tasks} is tiny and scan
     * all of it on every poll.
     */
    public static Map<UUID, TaskState> load(DSLContext dsl, Collection<UUID> ids) {
        return load(dsl, ids, false);
    }

    /**
     * The same, also finding the tasks of lean topics recorded without a row ({@code lean_done}):
     * they load as {@code done}, attempt 1, so a redelivered record of one is not run again.
     */
    public static Map<UUID, TaskState> load(DSLContext dsl, Collection<UUID> ids, boolean lean) {
        // Plain JDBC with the ids as one binary text array: this runs on the poll thread for every
        // poll, and jOOQ's rendering of a 1000-element uuid array cost more than the lookup.
        String[] keys = new String[ids.size()];
        int i = 0;
        for (UUID id : ids) {
            keys[i++] = id.toString();
        }
        return dsl.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(lean ? LOAD_STATES_WITH_LEAN : LOAD_STATES)) {
                ps.setObject(1, keys);
                if (lean) {
                    ps.setObject(2, keys);
                }
                Map<UUID, TaskState> states = new HashMap<>(keys.length * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        UUID id = rs.getObject(1, UUID.class);
                        TaskState s = new TaskState(id, TaskStatus.fromWire(rs.getString(2)), rs.getInt(3), rs.getInt(4));
                        if (lean && rs.getBoolean(5)) {
                            states.putIfAbsent(id, s); // a tasks row, if one exists too, wins
                        } else {
                            states.put(id, s);
                        }
                    }
                }
                return states;
            }
        });
    }

    private static final String LOAD_STATES =
            "select id, status, attempt, reschedules from tasks where id = any(?::text[]::uuid[])";

    private static final String LOAD_STATES_WITH_LEAN =
            "select id, status, attempt, reschedules, false from tasks where id = any(?::text[]::uuid[]) union all "
            + "select id, 'done', 1, 0, true from lean_done where id = any(?::text[]::uuid[])";

    @Override
    public Set<UUID> recordQueued(List<StatusChange> accepted) {
        StatusChanges.requireAll(accepted, "recordQueued", "accepted",
                c -> c.status() == TaskStatus.QUEUED && c.delivery() == null && c.nextRunAt() == null);
        // A lean topic's task without a callback or idempotency key gets no row until it needs one.
        return queued.insert(modes.anyLean() ? accepted.stream()
                .filter(c -> !modes.mayKeepNoRow(c.topic(), c.callbackUrl(), c.idempotencyKey())).toList() : accepted);
    }

    @Override
    public Set<UUID> markRunning(List<StatusChange> running) {
        StatusChanges.requireAll(running, "markRunning", "running", c -> c.status() == TaskStatus.RUNNING);
        return batches.apply(running);
    }

    @Override
    public Set<UUID> recordOutcomes(List<StatusChange> outcomes) {
        StatusChanges.requireAll(outcomes, "recordOutcomes", "finished or dead",
                c -> c.status().isTerminal() || c.status() == TaskStatus.RESCHEDULED);
        return batches.apply(outcomes);
    }

    @Override
    public Set<UUID> schedule(List<StatusChange> scheduled) {
        StatusChanges.requireAll(scheduled, "schedule", "scheduled",
                c -> c.status() == TaskStatus.QUEUED && c.delivery() != null);
        return batches.apply(scheduled);
    }

    @Override
    public void requeueDue(List<Redelivery> due, Instant at) {
        if (!due.isEmpty()) {
            dsl.transaction(tx -> requeue.requeue(tx.dsl(), due, at));
        }
    }

    /**
     * {@link #requeueDue} inside the caller's transaction {@code transaction}: the scheduler claims
     * deliveries and requeues their tasks in one transaction when it delivers at once.
     */
    public void requeueDue(DSLContext transaction, List<Redelivery> due, Instant at) {
        requeue.requeue(transaction, due, at);
    }

    @Override
    public Set<UUID> apply(List<StatusChange> changes) {
        return batches.apply(changes);
    }

    @Override
    public Cancellation cancel(UUID id, String reason, Instant at) {
        return operator.cancel(id, reason, at);
    }

    @Override
    public Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver) {
        return operator.retry(id, reason, at, deliver);
    }
}
