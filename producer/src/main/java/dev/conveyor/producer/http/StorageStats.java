package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.TASKS;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The {@code storage} part of {@code GET /v1/stats}: how big the status tables are and the oldest
 * task kept, so an operator sees retention at work. Sizes come from the catalogue
 * ({@code pg_total_relation_size}: heap, indexes and TOAST, over all partitions; {@code reltuples}: the planner's row
 * estimate, refreshed by autovacuum, null before the table's first analyze), and the oldest task is one probe of {@code tasks_created_idx}:
 * the call costs the same at any table size.
 */
final class StorageStats {

    /** The tables that grow with the tasks, in the order shown. */
    static final List<String> TABLES = List.of("tasks", "task_transitions", "outbox", "idempotency_keys", "lean_done");

    /** A partitioned table (task_transitions) counts as the sum of its partitions. */
    private static final String SIZES = """
            with t as (
                select c.oid, c.relname, coalesce(p.relid, c.oid) as part
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                left join lateral pg_partition_tree(c.oid) p on c.relkind = 'p' and p.isleaf
                where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname = any(?::text[])
            )
            select t.relname, sum(pg_total_relation_size(t.part))::int8,
                sum(pc.reltuples) filter (where pc.reltuples >= 0)::int8
            from t join pg_class pc on pc.oid = t.part
            group by t.relname
            """;

    private final DSLContext dsl;

    StorageStats(DSLContext dsl) {
        this.dsl = dsl;
    }

    /** Puts {@code storage: {tables: [{table, bytes, rowsEstimate}], bytes, oldestTaskAt}} on {@code json}. */
    void put(ObjectNode json) {
        ObjectNode storage = json.putObject("storage");
        var tables = storage.putArray("tables");
        long total = 0;
        var rows = dsl.fetch(SIZES, (Object) TABLES.toArray(String[]::new));
        for (String table : TABLES) {
            var row = rows.stream().filter(r -> table.equals(r.get(0, String.class))).findFirst().orElse(null);
            long bytes = row == null ? 0 : row.get(1, Long.class);
            total += bytes;
            // reltuples is -1 until the table is first vacuumed or analyzed: no estimate yet (null).
            tables.addObject().put("table", table).put("bytes", bytes)
                    .put("rowsEstimate", row == null ? null : row.get(2, Long.class));
        }
        storage.put("bytes", total);
        Instant oldest = dsl.select(TASKS.CREATED_AT).from(TASKS).orderBy(TASKS.CREATED_AT).limit(1).fetchOne(TASKS.CREATED_AT);
        storage.put("oldestTaskAt", oldest == null ? null : oldest.toString());
    }
}
