package dev.conveyor.store;

import static dev.conveyor.store.SqlTime.fromMicros;
import static dev.conveyor.store.SqlTime.micros;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The {@code queued} rows of accepted tasks ({@link StatusStore#recordQueued}): one statement per
 * batch inserts the rows that do not exist yet and the first transition of each row it inserted.
 * A row that exists is never touched, so a worker that got there first keeps its status, and a
 * batch applied twice (a recorder that consumed the records again) writes nothing the second time.
 */
final class QueuedRows {

    private static final String INSERT_QUEUED = """
            with inserted as (
                insert into tasks as t (id, topic, kind, type, status, attempt, payload, content_type,
                    callback_url, trace_id, idempotency_key, kafka_key, created_at, updated_at)
                select u.id::uuid, u.topic, u.kind, u.type, 'queued', u.attempt, u.payload, u.content_type,
                    u.callback_url, u.trace_id, u.idempotency_key, u.kafka_key, %1$s, %1$s
                from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::int4[], ?::bytea[], ?::text[],
                    ?::text[], ?::text[], ?::text[], ?::bytea[], ?::int8[], ?::text[])
                    as u(id, topic, kind, type, attempt, payload, content_type, callback_url, trace_id,
                        idempotency_key, kafka_key, created_us, reason)
                order by u.id::uuid
                on conflict (id) do nothing
                returning t.id, t.attempt, t.created_at
            ),
            history as (
                insert into task_transitions (task_id, from_status, to_status, at, attempt, reason, node)
                select i.id, null, 'queued', i.created_at, i.attempt, u.reason, ?
                from inserted i join unnest(?::text[], ?::text[]) as u(id, reason) on u.id::uuid = i.id
            )
            select id from inserted
            """.formatted(fromMicros("u.created_us"));

    private final DSLContext dsl;
    private final String node;

    QueuedRows(DSLContext dsl, String node) {
        this.dsl = dsl;
        this.node = node;
    }

    /** Inserts the missing rows of {@code accepted} (one transaction); returns the ids it inserted. */
    Set<UUID> insert(List<StatusChange> accepted) {
        if (accepted.isEmpty()) {
            return Set.of();
        }
        Set<UUID> inserted = new HashSet<>(accepted.size() * 2);
        for (List<StatusChange> chunk : chunks(unique(accepted))) {
            inserted.addAll(insertChunk(chunk));
        }
        return inserted;
    }

    private Set<UUID> insertChunk(List<StatusChange> chunk) {
        int n = chunk.size();
        String[] id = new String[n], topic = new String[n], kind = new String[n], type = new String[n],
                contentType = new String[n], callbackUrl = new String[n], traceId = new String[n],
                idempotencyKey = new String[n], reason = new String[n];
        int[] attempt = new int[n];
        byte[][] payload = new byte[n][], kafkaKey = new byte[n][];
        Long[] created = new Long[n];
        for (int i = 0; i < n; i++) {
            StatusChange c = chunk.get(i);
            id[i] = c.id().toString();
            topic[i] = c.topic();
            kind[i] = c.kind().wireName();
            type[i] = c.type();
            attempt[i] = c.attempt();
            payload[i] = c.payload();
            contentType[i] = c.contentType();
            callbackUrl[i] = c.callbackUrl();
            traceId[i] = c.traceId();
            idempotencyKey[i] = c.idempotencyKey();
            kafkaKey[i] = c.kafkaKey();
            created[i] = micros(c.createdAt());
            reason[i] = c.transitions().get(0).reason();
        }
        Object[] params = {id, topic, kind, type, attempt, payload, contentType, callbackUrl, traceId, idempotencyKey,
                kafkaKey, created, reason, node, id, reason};
        return dsl.connectionResult(conn -> {
            try (PreparedStatement ps = conn.prepareStatement(INSERT_QUEUED)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                Set<UUID> inserted = new HashSet<>(n * 2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        inserted.add(rs.getObject(1, UUID.class));
                    }
                }
                return inserted;
            }
        });
    }

    /** One change per task id (the first), in lock order, so concurrent batches never deadlock. */
    private static List<StatusChange> unique(List<StatusChange> accepted) {
        Set<UUID> seen = new HashSet<>(accepted.size() * 2);
        List<StatusChange> out = new ArrayList<>(accepted.size());
        for (StatusChange c : accepted) {
            if (seen.add(c.id())) {
                out.add(c);
            }
        }
        out.sort(java.util.Comparator.comparing(StatusChange::id, JooqStatusStore.LOCK_ORDER));
        return out;
    }

    private static List<List<StatusChange>> chunks(List<StatusChange> changes) {
        List<List<StatusChange>> out = new ArrayList<>();
        for (int from = 0; from < changes.size(); from += ChangeBatchWriter.MAX_ROWS_PER_STATEMENT) {
            out.add(changes.subList(from, Math.min(changes.size(), from + ChangeBatchWriter.MAX_ROWS_PER_STATEMENT)));
        }
        return out;
    }
}
