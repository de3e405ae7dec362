package dev.conveyor.store;

import static dev.conveyor.store.SqlTime.fromMicros;
import static dev.conveyor.store.SqlTime.micros;

import dev.conveyor.schema.TaskStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The outcomes of lean topics that keep no row ({@link StatusModes}): a task that ended
 * {@code done} on its first run, polled without a row, never marked running, with no callback, no
 * idempotency key and no notification to send. One statement per batch inserts their
 * {@code lean_done} rows (the trigger counts them), in the transaction of the batch's other
 * changes; a task that has a {@code tasks} row after all is handed back to be written in full.
 */
final class LeanOutcomes {

    private static final String INSERT = """
            with u as (
                select u.id::uuid as id, u.topic, %s as finished_at
                from unnest(?::text[], ?::text[], ?::int8[]) as u(id, topic, finished_us)
            ), rowed as (
                select t.id from tasks t join u on t.id = u.id
            ), inserted as (
                insert into lean_done (id, topic, finished_at)
                select u.id, u.topic, u.finished_at from u where u.id not in (select id from rowed)
                order by u.id
                on conflict (id) do nothing
                returning id
            )
            select id, true from inserted union all select id, false from rowed
            """.formatted(fromMicros("u.finished_us"));

    private final StatusModes modes;
    private final OutboxWriter outbox;

    LeanOutcomes(StatusModes modes, OutboxWriter outbox) {
        this.modes = modes;
        this.outbox = outbox;
    }

    boolean any() {
        return modes.anyLean();
    }

    /** Whether {@code c} may be recorded without a row. */
    boolean keepsNoRow(StatusChange c) {
        List<Transition> t = c.transitions();
        return c.status() == TaskStatus.DONE && c.attempt() == 1 && c.delivery() == null
                && modes.mayKeepNoRow(c.topic(), c.callbackUrl(), c.idempotencyKey())
                // polled without a row and not marked running: [∅ → running, running → done]
                && t.size() == 2 && t.get(0).from() == null && !outbox.hasTargets(c);
    }

    /**
     * What {@link #write} did.
     *
     * @param applied the tasks recorded lean now (a repeat of one recorded before is not applied)
     * @param rowed the changes of tasks that have a row: to be written in full
     */
    record Written(Set<UUID> applied, List<StatusChange> rowed) {}

    Written write(DSLContext t, List<StatusChange> lean) {
        Map<UUID, StatusChange> unique = new LinkedHashMap<>();
        lean.forEach(c -> unique.putIfAbsent(c.id(), c));
        int n = unique.size();
        String[] ids = new String[n];
        String[] topics = new String[n];
        Long[] finished = new Long[n];
        int i = 0;
        for (StatusChange c : unique.values()) {
            ids[i] = c.id().toString();
            topics[i] = c.topic();
            finished[i++] = micros(c.at());
        }
        return t.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(INSERT)) {
                ps.setObject(1, ids);
                ps.setObject(2, topics);
                ps.setObject(3, finished);
                Set<UUID> applied = new HashSet<>();
                Set<UUID> rowed = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        (rs.getBoolean(2) ? applied : rowed).add(rs.getObject(1, UUID.class));
                    }
                }
                List<StatusChange> full = new ArrayList<>();
                lean.stream().filter(c -> rowed.contains(c.id())).forEach(full::add);
                return new Written(applied, full);
            }
        });
    }
}
