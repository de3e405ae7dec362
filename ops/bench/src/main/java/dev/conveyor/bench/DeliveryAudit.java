package dev.conveyor.bench;

import dev.conveyor.store.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * When the scheduler's delivery rows were inserted and deleted, noted by benchmark-only
 * statement-level triggers on {@code scheduled_deliveries} in the workload's own schema (dropped
 * with it):
 * {@code known_ahead} is due time minus insert time (how early the scheduler could know of a
 * delivery; negative means the row arrived after its due time), {@code deleted_after_due} the
 * scheduler's delete (the last step of its delivery transaction) minus due time.
 */
final class DeliveryAudit {

    private final Database db;

    private DeliveryAudit(Database db) {
        this.db = db;
    }

    static DeliveryAudit install(Database db) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("create table bench_delivery_audit (task_id uuid not null, attempt integer not null, "
                    + "event text not null, at timestamptz not null default clock_timestamp())");
            // Statement-level triggers with transition tables: one insert per statement of the
            // scheduler or the worker, not a PL/pgSQL call per row on the path being measured. The
            // time noted is when the statement's rows were written (its end, a few ms after the first).
            s.execute("create function bench_note_inserted_deliveries() returns trigger language plpgsql as $$ begin "
                    + "insert into bench_delivery_audit (task_id, attempt, event) "
                    + "select task_id, attempt, 'insert' from inserted_rows; return null; end $$");
            s.execute("create function bench_note_deleted_deliveries() returns trigger language plpgsql as $$ begin "
                    + "insert into bench_delivery_audit (task_id, attempt, event) "
                    + "select task_id, attempt, 'delete' from deleted_rows; return null; end $$");
            s.execute("create trigger bench_note_inserted_deliveries after insert on scheduled_deliveries "
                    + "referencing new table as inserted_rows for each statement "
                    + "execute function bench_note_inserted_deliveries()");
            s.execute("create trigger bench_note_deleted_deliveries after delete on scheduled_deliveries "
                    + "referencing old table as deleted_rows for each statement "
                    + "execute function bench_note_deleted_deliveries()");
        }
        return new DeliveryAudit(db);
    }

    void put(Line line, String topic, int attempt, Map<UUID, Instant> due) {
        long[] ahead = new long[due.size()];
        long[] deleted = new long[due.size()];
        int k = 0;
        int p = 0;
        for (var r : db.dsl().resultQuery("select a.task_id, a.event, (extract(epoch from a.at) * 1000000)::bigint "
                + "from bench_delivery_audit a join tasks t on t.id = a.task_id where t.topic = ? and a.attempt = ?",
                topic, attempt).fetch()) {
            Instant d = due.get(r.get(0, UUID.class));
            if (d == null) {
                continue;
            }
            long dueMicros = TimeUnit.SECONDS.toMicros(d.getEpochSecond()) + d.getNano() / 1000;
            long atMicros = r.get(2, Long.class);
            if ("insert".equals(r.get(1, String.class)) && k < ahead.length) {
                ahead[k++] = Math.floorDiv(dueMicros - atMicros, 1000L);
            } else if ("delete".equals(r.get(1, String.class)) && p < deleted.length) {
                deleted[p++] = Math.floorDiv(atMicros - dueMicros, 1000L);
            }
        }
        Latency a = Latency.of(ahead, k);
        line.put("known_ahead_p50_ms", a.p50()).put("known_ahead_min_ms", a.min()).put("inserted_after_due", a.negative());
        line.putMs("deleted_after_due_", Latency.of(deleted, p), false);
        line.put("delivery_rows_inserted", k).put("delivery_rows_deleted", p);
    }
}
