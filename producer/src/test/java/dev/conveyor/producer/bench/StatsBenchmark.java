package dev.conveyor.producer.bench;

import static dev.conveyor.testing.bench.BenchOutput.emit;
import static dev.conveyor.testing.bench.BenchOutput.line;
import static dev.conveyor.testing.bench.BenchOutput.percentile;
import static dev.conveyor.testing.bench.BenchOutput.pgSetting;
import static dev.conveyor.testing.bench.BenchOutput.progress;
import static dev.conveyor.testing.bench.BenchOutput.round3;
import static dev.conveyor.testing.bench.BenchOutput.secondsSince;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.http.StatsApi;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.bench.BenchOutput;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jooq.DSLContext;
import org.jooq.ResultQuery;

/**
 * {@code GET /v1/stats} against a large {@code tasks} table (no JUnit): bulk-loads N task rows
 * (default 10,000,000) over 20 topics and every status with {@code insert ... select from
 * generate_series} in chunks (through the V5 counting triggers), then times each stats query and
 * the whole stats call (lag included, against an embedded broker) and prints each query's
 * {@code EXPLAIN (ANALYZE, BUFFERS)} to standard error. For scale it also times the plain
 * {@code count(*) ... group by} the counters replace, and the worker's 1000-row status upsert with
 * the counting triggers enabled and disabled. One JSON line per workload on standard output.
 *
 * <p>Run with {@code ops/bin/bench-stats}.
 */
public final class StatsBenchmark {

    static final String USAGE = """
            usage: bench-stats [--rows N] [--topics T] [--chunk C] [--runs R] [--trigger-batches B]
              --rows N             task rows to load (default 10000000)
              --topics T           topics they are spread over (default 20)
              --chunk C            rows per insert statement while loading (default 1000000)
              --runs R             timed runs of each query and of the whole call (default 50)
              --trigger-batches B  1000-row worker upserts timed with triggers on and off, each (default 20)""";

    /**
     * Status mix of the loaded rows, per mille of g % 1000: mostly done, as on a busy
     * installation that keeps finished tasks for a while.
     */
    private static final String STATUS_OF_G = """
            case when g % 1000 < 20 then 'queued'
                 when g % 1000 < 25 then 'running'
                 when g % 1000 < 35 then 'rescheduled'
                 when g % 1000 < 65 then 'failed'
                 when g % 1000 < 85 then 'skipped'
                 when g % 1000 < 90 then 'cancelled'
                 when g % 1000 < 100 then 'dead'
                 else 'done' end""";

    private record Options(long rows, int topics, long chunk, int runs, int triggerBatches) {
        static Options parse(String[] args) {
            long rows = 10_000_000;
            int topics = 20;
            long chunk = 1_000_000;
            int runs = 50;
            int triggerBatches = 20;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    throw new IllegalArgumentException("help");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--rows" -> rows = Long.parseLong(v);
                    case "--topics" -> topics = Integer.parseInt(v);
                    case "--chunk" -> chunk = Long.parseLong(v);
                    case "--runs" -> runs = Integer.parseInt(v);
                    case "--trigger-batches" -> triggerBatches = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (rows < 1 || topics < 1 || chunk < 1 || runs < 1 || triggerBatches < 1) {
                throw new IllegalArgumentException("every value must be positive");
            }
            return new Options(rows, topics, chunk, runs, triggerBatches);
        }
    }

    private StatsBenchmark() {}

    public static void main(String[] args) {
        BenchOutput.runMain("bench-stats", USAGE, () -> {
            run(Options.parse(args));
            return true;
        });
    }

    private static void run(Options o) throws Exception {
        progress("starting Kafka broker");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            progress("starting PostgreSQL");
            // Bulk-load settings: nothing here changes how the stats queries are planned.
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setServerConfig("shared_buffers", "1GB")
                    .setServerConfig("maintenance_work_mem", "512MB")
                    .setServerConfig("max_wal_size", "8GB")
                    .setServerConfig("checkpoint_timeout", "30min")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("full_page_writes", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .start()) {
                String url = pg.getJdbcUrl("postgres", "postgres");
                try (Database db = Database.openAndMigrate(new DbConfig(url, "postgres", null, 8, "public"), "bench")) {
                    DSLContext dsl = db.dsl();
                    ObjectNode setup = line("setup");
                    setup.put("cpus", Runtime.getRuntime().availableProcessors());
                    setup.put("jdk", Runtime.version().toString());
                    setup.put("postgres", dsl.fetchValue("select version()").toString());
                    setup.put("postgres_fsync", pgSetting(dsl, "fsync"));
                    setup.put("postgres_shared_buffers", pgSetting(dsl, "shared_buffers"));
                    setup.put("rows", o.rows);
                    setup.put("topics", o.topics);
                    setup.put("runs", o.runs);
                    emit(setup);

                    String group = "conveyor-workers";
                    List<String> topics = new ArrayList<>();
                    for (int i = 0; i < o.topics; i++) {
                        topics.add(topicName(i));
                    }
                    prepareLag(broker.bootstrap(), group, topics);
                    load(dsl, o);
                    IngressConfig config = IngressConfig.builder(broker.bootstrap()).topics(Set.copyOf(topics))
                            .workerGroup(group).node("bench-stats").build();
                    try (StatsApi api = new StatsApi(dsl, config, Clock.systemUTC())) {
                        measureStats(dsl, api, o);
                    }
                    naiveCount(dsl);
                    triggerOverhead(dsl, o);
                }
            }
        } finally {
            progress("infrastructure closed");
        }
    }

    private static String topicName(int i) {
        return String.format("topic-%02d", i);
    }

    // ---- load ----------------------------------------------------------------------------------

    private static void load(DSLContext dsl, Options o) {
        // Secondary indexes are dropped during the load and built afterwards (as a bulk load
        // would), with their definitions as migrated; the counting triggers stay on.
        var secondary = dsl.fetch("""
                select indexname, indexdef from pg_indexes
                where schemaname = current_schema() and tablename = 'tasks' and indexname <> 'tasks_pk'""");
        List<String> indexes = secondary.map(r -> r.get("indexdef", String.class));
        for (var r : secondary) {
            dsl.execute("drop index " + r.get("indexname", String.class));
        }
        // Rows are created over the last 30 days in id order; ids are time-ordered like UUIDv7.
        String insert = """
                insert into tasks (id, topic, kind, type, status, attempt, output, created_at, updated_at, started_at,
                    finished_at, next_run_at)
                select ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                    'topic-' || lpad((g %% %2$d)::text, 2, '0'),
                    'background', 'bench.event', s.status, 1,
                    case when s.status in ('failed', 'dead') then 'boom' end,
                    c.at, c.at + interval '2 seconds', c.at + interval '1 second',
                    case when s.status in ('done', 'failed', 'skipped', 'cancelled', 'dead')
                         then c.at + interval '2 seconds' end,
                    case when s.status = 'rescheduled' then now() + interval '1 hour' end
                from generate_series(?::bigint, ?::bigint) g
                cross join lateral (select %1$s as status) s
                cross join lateral (select now() - interval '30 days' * (1 - g::float8 / %3$d) as at) c
                """.formatted(STATUS_OF_G, o.topics, o.rows);
        long t0 = System.nanoTime();
        for (long from = 1; from <= o.rows; from += o.chunk) {
            long to = Math.min(o.rows, from + o.chunk - 1);
            long t = System.nanoTime();
            dsl.execute(insert, from, to);
            progress(String.format("loaded rows %,d..%,d in %.1f s", from, to, secondsSince(t)));
        }
        double loadSeconds = secondsSince(t0);
        long t = System.nanoTime();
        for (String def : indexes) {
            progress("building " + def);
            dsl.execute(def);
        }
        double indexSeconds = secondsSince(t);
        t = System.nanoTime();
        // A pending delivery for every rescheduled task (the scheduler's backlog).
        int deliveries = dsl.execute("""
                insert into scheduled_deliveries (task_id, attempt, topic, due_at)
                select id, attempt + 1, topic, next_run_at from tasks where status = 'rescheduled'""");
        progress("analyze");
        dsl.execute("vacuum analyze");
        ObjectNode json = line("load");
        json.put("rows", o.rows);
        json.put("insert_seconds", round3(loadSeconds));
        json.put("rows_per_second", Math.round(o.rows / loadSeconds));
        json.put("index_build_seconds", round3(indexSeconds));
        json.put("scheduled_deliveries", deliveries);
        json.put("deliveries_and_analyze_seconds", round3(secondsSince(t)));
        json.put("tasks_mb", dsl.fetchValue("select pg_total_relation_size('tasks') >> 20").toString());
        json.put("task_counts_rows", dsl.fetchCount(dsl.selectFrom("task_counts")));
        json.put("task_finished_minutes_rows", dsl.fetchCount(dsl.selectFrom("task_finished_minutes")));
        emit(json);
    }

    /** The worker group has consumed part of every topic, so lag is a real figure per topic. */
    private static void prepareLag(String bootstrap, String group, List<String> topics) throws Exception {
        progress("creating " + topics.size() + " topics with lag");
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, 2, (short) 1)).toList()).all().get();
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
            p.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
            // A few records, one at a time: the idempotent producer's sequence checks once stalled
            // here on the embedded broker right after the topics were created.
            p.put("enable.idempotence", "false");
            p.put("acks", "1");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
                for (String t : topics) {
                    for (int i = 0; i < 20; i++) {
                        producer.send(new ProducerRecord<>(t, i % 2, null, new byte[] {1})).get();
                    }
                }
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (String t : topics) {
                offsets.put(new TopicPartition(t, 0), new OffsetAndMetadata(7));
                offsets.put(new TopicPartition(t, 1), new OffsetAndMetadata(5));
            }
            admin.alterConsumerGroupOffsets(group, offsets).all().get();
        }
    }

    // ---- stats ---------------------------------------------------------------------------------

    private static void measureStats(DSLContext dsl, StatsApi api, Options o) {
        progress("first stats call (prunes throughput minutes older than a day)");
        long t = System.nanoTime();
        var first = api.stats();
        double firstMs = secondsSince(t) * 1000;
        dsl.execute("vacuum analyze task_finished_minutes");
        System.err.println("stats document: " + first.toPrettyString());

        Map<String, ResultQuery<?>> queries = api.queries(Instant.now());
        for (var e : queries.entrySet()) {
            String sql = dsl.renderInlined(e.getValue());
            System.err.println("\n==== EXPLAIN (ANALYZE, BUFFERS) " + e.getKey() + "\n" + sql);
            dsl.fetch("explain (analyze, buffers) " + sql).forEach(r -> System.err.println(r.get(0, String.class)));
        }
        System.err.println();

        ObjectNode json = line("stats_queries");
        for (var e : queries.entrySet()) {
            ResultQuery<?> q = e.getValue();
            ObjectNode figures = json.putObject(e.getKey());
            timed(figures, o.runs, () -> q.fetch());
        }
        emit(json);

        ObjectNode call = line("stats_call");
        call.put("first_call_ms", round3(firstMs));
        timed(call, o.runs, api::stats);
        call.put("lag_available", first.get("lag").get("available").asBoolean());
        call.put("lag_total", first.get("lag").get("total").asLong());
        call.put("queued_total", first.get("totals").get("queued").asLong());
        call.put("done_total", first.get("totals").get("done").asLong());
        emit(call);
    }

    /** Runs {@code action} {@code runs} times after two warm-up runs; puts p50, p99 and max in ms. */
    private static void timed(ObjectNode into, int runs, Supplier<?> action) {
        action.get();
        action.get();
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            action.get();
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        into.put("p50_ms", round3(percentile(nanos, 0.50) / 1e6));
        into.put("p99_ms", round3(percentile(nanos, 0.99) / 1e6));
        into.put("max_ms", round3(nanos[nanos.length - 1] / 1e6));
    }

    /** What the counters replace: a full count over the table, once. */
    private static void naiveCount(DSLContext dsl) {
        progress("naive count(*) group by topic, status");
        long t = System.nanoTime();
        int groups = dsl.fetch("select topic, status, count(*) from tasks group by topic, status").size();
        ObjectNode json = line("naive_count");
        json.put("ms", round3(secondsSince(t) * 1000));
        json.put("groups", groups);
        emit(json);
    }

    // ---- trigger cost on the worker's write path -----------------------------------------------

    /**
     * The worker's 1000-row batches ({@link JooqStatusStore#apply}: unnest upsert into tasks plus
     * transitions) finishing running tasks, alternately with the counting triggers enabled and
     * disabled, on the loaded table.
     */
    private static void triggerOverhead(DSLContext dsl, Options o) {
        progress("trigger overhead: " + o.triggerBatches + " batches of 1000 with and without triggers");
        JooqStatusStore store = new JooqStatusStore(dsl, "bench");
        Instant t0 = Instant.now();
        List<List<Task>> batches = new ArrayList<>();
        for (int b = 0; b < 2 * o.triggerBatches + 2; b++) {
            List<Task> batch = new ArrayList<>();
            List<StatusChange> running = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Task task = Task.builder().topic(topicName(i % o.topics)).payload("{}", "application/json").build();
                batch.add(task);
                running.add(StatusChange.running(task, "bench", null, t0));
            }
            store.apply(running);
            batches.add(batch);
        }
        NextStatus done = NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5);
        long[] on = new long[o.triggerBatches];
        long[] off = new long[o.triggerBatches];
        Set<String> triggers = new LinkedHashSet<>(List.of("tasks_count_inserts", "tasks_count_updates",
                "tasks_count_deletes"));
        for (int b = 0; b < batches.size(); b++) {
            boolean enabled = b % 2 == 0;
            for (String trigger : triggers) {
                dsl.execute("alter table tasks " + (enabled ? "enable" : "disable") + " trigger " + trigger);
            }
            List<StatusChange> finished = new ArrayList<>();
            Instant at = Instant.now();
            for (Task task : batches.get(b)) {
                finished.add(StatusChange.finished(task, "bench", null, true, t0, at, done, null, null));
            }
            long t = System.nanoTime();
            store.apply(finished);
            long took = System.nanoTime() - t;
            int i = b / 2 - 1;  // the first pair warms up
            if (i >= 0 && i < o.triggerBatches) {
                (enabled ? on : off)[i] = took;
            }
        }
        for (String trigger : triggers) {
            dsl.execute("alter table tasks enable trigger " + trigger);
        }
        Arrays.sort(on);
        Arrays.sort(off);
        ObjectNode json = line("trigger_overhead");
        json.put("batch_rows", 1000);
        json.put("batches_each", o.triggerBatches);
        json.put("with_triggers_p50_ms", round3(percentile(on, 0.5) / 1e6));
        json.put("without_triggers_p50_ms", round3(percentile(off, 0.5) / 1e6));
        json.put("with_triggers_p90_ms", round3(percentile(on, 0.9) / 1e6));
        json.put("without_triggers_p90_ms", round3(percentile(off, 0.9) / 1e6));
        emit(json);
    }
}
