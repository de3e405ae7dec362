package dev.conveyor.bench;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;

import dev.conveyor.store.db.Database;
import dev.conveyor.worker.scheduler.Scheduler;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record1;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * M1: heap used (after a full GC) with a scheduler running and M pending reschedules (delivery
 * rows due in an hour) in its table, against the same before they were inserted. The scheduler
 * keeps pending deliveries in PostgreSQL, not in memory, so the delta should stay flat; the
 * absolute figure includes everything else in this JVM (the embedded broker among it).
 */
public final class Memory implements Workload {

    /** Target: heap at most this many MiB. */
    public static final long TARGET_HEAP_MB = 256;
    private static final int BATCH = 100_000;

    @Override
    public WorkloadId id() {
        return WorkloadId.M1;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        int m = ctx.settings().m1Pending();
        Line line = new Line(id(), "memory with pending reschedules");
        line.put("pending", m).put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        try (Infrastructure.Schema schema = ctx.infra().schema("m1", 4, ctx.settings().counters())) {
            measure(ctx, schema.db(), m, line);
        }
        return line;
    }

    private void measure(BenchContext ctx, Database db, int m, Line line) throws Exception {
        String prefix = ctx.prefix("m1");
        ctx.progress().say("M1: starting the scheduler");
        Scheduler scheduler = ctx.startScheduler("m1", prefix, db);
        try {
            Thread.sleep(3000); // a few idle cycles first
            long baseline = heapUsed();
            line.put("heap_before_mb", mb(baseline));

            ctx.progress().say("M1: inserting " + m + " deliveries due in an hour, " + BATCH + " per statement");
            String topic = ctx.infra().name("m1");
            Instant dueBase = Instant.now().plus(Duration.ofHours(1));
            byte[] payload = Payload.bytes(0);
            JSONB headers = JSONB.valueOf("{\"ce_specversion\":\"1.0\",\"ce_type\":\"" + topic
                    + "\",\"ce_source\":\"/bench\",\"conveyor_attempt\":\"2\",\"content-type\":\"application/json\"}");
            long insertStart = System.nanoTime();
            for (int from = 1; from <= m; from += BATCH) {
                int to = Math.min(m, from + BATCH - 1);
                Table<Record1<Integer>> gs = DSL.generateSeries(from, to).as("gs", "n");
                Field<Integer> n = gs.field("n", Integer.class);
                Field<Instant> dueAt = DSL.field("{0} + {1} * interval '1 millisecond'", SQLDataType.INSTANT,
                        DSL.val(dueBase, SCHEDULED_DELIVERIES.DUE_AT), n);
                db.dsl().insertInto(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT,
                                SCHEDULED_DELIVERIES.TOPIC, SCHEDULED_DELIVERIES.HEADERS, SCHEDULED_DELIVERIES.PAYLOAD,
                                SCHEDULED_DELIVERIES.DUE_AT)
                        .select(DSL.select(DSL.field("gen_random_uuid()", UUID.class), DSL.inline(2), DSL.val(topic),
                                DSL.val(headers), DSL.val(payload), dueAt).from(gs))
                        .execute();
            }
            double insertSeconds = Progress.secondsSince(insertStart);
            line.put("insert_seconds", insertSeconds)
                    .put("pending_rows", db.dsl().fetchCount(SCHEDULED_DELIVERIES))
                    .put("table_mb", mb(((Number) db.dsl().fetchValue(
                            "select pg_total_relation_size('scheduled_deliveries')")).longValue()));

            ctx.progress().say("M1: letting the scheduler run 5 s with " + m + " pending deliveries");
            Thread.sleep(5000);
            long after = heapUsed();
            line.put("heap_mb", mb(after)).put("heap_delta_mb", mb(after - baseline))
                    .put("heap_delta_bytes_per_pending", m == 0 ? 0 : (double) (after - baseline) / m);
            probe(ctx, db, line);
            line.put("heap_note", "heap of the whole benchmark JVM after a full GC, embedded broker and clients "
                    + "included; heap_delta_mb is what the pending rows cost");
            line.target("heap_mb <= " + TARGET_HEAP_MB, mb(after) <= TARGET_HEAP_MB);
        } finally {
            scheduler.close();
        }
    }

    /** The scheduler's own two queries against the full table, timed from here. */
    private static void probe(BenchContext ctx, Database db, Line line) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ctx.infra().producerProperties(1))) {
            Deliveries probe = new Deliveries(db.dsl(), producer, "bench-probe", 1000, () -> {});
            long[] earliest = new long[20];
            long[] claim = new long[20];
            int delivered = 0;
            for (int i = 0; i < earliest.length; i++) {
                long t = System.nanoTime();
                probe.earliestDue();
                earliest[i] = System.nanoTime() - t;
                t = System.nanoTime();
                delivered += probe.deliverDue(Instant.now());
                claim[i] = System.nanoTime() - t;
            }
            Arrays.sort(earliest);
            Arrays.sort(claim);
            line.put("earliest_due_query_p50_ms", Latency.ms(Latency.rank(earliest, 0.5)))
                    .put("deliver_due_empty_p50_ms", Latency.ms(Latency.rank(claim, 0.5)))
                    .put("delivered_by_probe", delivered);
        }
    }

    private static long heapUsed() throws InterruptedException {
        System.gc();
        System.gc();
        Thread.sleep(500);
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double mb(long bytes) {
        return Line.round3(bytes / (1024.0 * 1024.0));
    }
}
