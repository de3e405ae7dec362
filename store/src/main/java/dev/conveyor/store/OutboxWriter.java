package dev.conveyor.store;

import dev.conveyor.schema.TaskStatus;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Writes the {@code outbox} rows of tasks that just became terminal, in the transaction that made
 * them terminal: one row for the task's callback URL, one per matching notification. So a
 * terminal status is never durable without its outbound deliveries.
 */
final class OutboxWriter {

    private static final String INSERT_OUTBOX = """
            insert into outbox (task_id, status, kind, target, url)
            select u.task_id::uuid, u.status, u.kind, u.target, u.url
            from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as u(task_id, status, kind, target, url)
            on conflict (task_id, status, target) do nothing
            """;

    /** An {@code outbox} row to write: {@code kind} is callback or notification. */
    private record OutboxRow(UUID taskId, TaskStatus status, String kind, String target, String url) {}

    private final OutboxRouting routing;

    OutboxWriter(OutboxRouting routing) {
        this.routing = Objects.requireNonNull(routing, "routing");
    }

    /** The outbox rows of the applied changes that made a task terminal (usually none), one statement. */
    void writeTerminal(DSLContext t, List<StatusChange> written) {
        List<OutboxRow> rows = null;
        for (StatusChange c : written) {
            if (!c.status().isTerminal()) {
                continue;
            }
            List<OutboxRow> of = rows(c.id(), c.topic(), c.status(), c.callbackUrl());
            if (!of.isEmpty()) {
                if (rows == null) {
                    rows = new ArrayList<>();
                }
                rows.addAll(of);
            }
        }
        if (rows != null) {
            write(t, rows);
        }
    }

    /** Whether the terminal change {@code c} has somewhere to go (a callback or a notification). */
    boolean hasTargets(StatusChange c) {
        return c.status().isTerminal() && !rows(c.id(), c.topic(), c.status(), c.callbackUrl()).isEmpty();
    }

    /** The outbox rows of one task that became terminal {@code status}. */
    void writeFor(DSLContext t, UUID id, String topic, TaskStatus status, String callbackUrl) {
        write(t, rows(id, topic, status, callbackUrl));
    }

    private List<OutboxRow> rows(UUID id, String topic, TaskStatus status, String callbackUrl) {
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

    private static void write(DSLContext t, List<OutboxRow> rows) {
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
}
