package dev.conveyor.store;

import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The scheduler's transition: rescheduled tasks whose next delivery it claimed become
 * {@code queued} at the delivered attempt, with a {@code rescheduled → queued} transition, keeping
 * {@code next_run_at} (the due time). One statement for a whole claim.
 */
final class DueRequeue {

    /**
     * The tasks are locked first, in primary-key order (the order every status writer uses),
     * skipping any that another transaction holds right now (an operator cancelling it): those are
     * left as they are rather than waited for. The update then finds each locked row by its
     * {@code ctid} instead of a second index lookup. Guarded, so a task that is no longer
     * {@code rescheduled} at the previous attempt is left alone.
     */
    private static final String REQUEUE = """
            with locked as materialized (
                select t.id, t.ctid from tasks t
                where t.id = any(?::uuid[]) and t.status = 'rescheduled'
                order by t.id
                for update skip locked),
            requeued as (
                update tasks t set status = 'queued', attempt = u.attempt, updated_at = ?
                from locked l join unnest(?::uuid[], ?::int4[]) as u(id, attempt) on u.id = l.id
                where t.ctid = l.ctid and t.attempt = u.attempt - 1
                returning t.id, t.attempt)
            insert into task_transitions (task_id, from_status, to_status, at, attempt, reason, node)
            select id, 'rescheduled', 'queued', ?, attempt, 'redelivered', ? from requeued
            """;

    private final String node;

    DueRequeue(String node) {
        this.node = node;
    }

    /** Runs the requeue on {@code t}'s connection, inside whatever transaction it is in. */
    void requeue(DSLContext t, List<StatusStore.Redelivery> due, Instant now) {
        if (due.isEmpty()) {
            return;
        }
        UUID[] ids = new UUID[due.size()];
        Integer[] attempts = new Integer[due.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = due.get(i).taskId();
            attempts[i] = due.get(i).attempt();
        }
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        t.connection(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(REQUEUE)) {
                ps.setObject(1, ids);
                ps.setObject(2, at);
                ps.setObject(3, ids);
                ps.setObject(4, attempts);
                ps.setObject(5, at);
                ps.setString(6, node);
                ps.executeUpdate();
            }
        });
    }
}
