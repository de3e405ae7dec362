package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_COUNTS;
import static dev.conveyor.store.db.jooq.Tables.TASK_FINISHED_MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.jooq.impl.DSL.countDistinct;
import static org.jooq.impl.DSL.sum;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/stats} and the counter tables behind it (migration V5) on a real PostgreSQL and
 * a real broker. All tests of the class share one schema, so each uses topics of its own and
 * checks the counters against a full count of {@code tasks} rather than absolute totals.
 */
@ConveyorIntegrationTest
class StatsApiIT {

    private TestDatabase db;
    private TestKafka kafka;
    private DSLContext dsl;

    @BeforeEach
    void setUp(TestDatabase db, TestKafka kafka) {
        this.db = db;
        this.kafka = kafka;
        this.dsl = db.dsl();
    }

    // ---- storage -------------------------------------------------------------------------------

    @Test
    void storageShowsEachTablesSizeAndTheOldestTaskKept() throws Exception {
        try (TestDatabase own = db.freshSibling("storage")) {
            DSLContext d = own.dsl();
            try (StatsApi api = new StatsApi(d, config("127.0.0.1:1", Set.of(), "g"), Clock.systemUTC())) {
                JsonNode empty = api.stats().path("storage");
                assertThat(empty.path("oldestTaskAt").isNull()).isTrue();
                d.execute("""
                        insert into tasks (id, topic, type, status, created_at, updated_at)
                        select gen_random_uuid(), 'orders', 't', 'done', ts, ts
                        from (select timestamptz '2026-11-01T00:00:00Z' + i * interval '1 minute' as ts
                              from generate_series(1, 5000) i) s""");
                d.execute("vacuum analyze tasks");
                JsonNode storage = api.stats().path("storage");
                assertThat(storage.path("tables")).extracting(t -> t.path("table").asText())
                        .containsExactly("tasks", "task_transitions", "outbox", "idempotency_keys", "lean_done");
                JsonNode tasks = storage.path("tables").get(0);
                assertThat(tasks.path("bytes").asLong()).isGreaterThan(5000L * 50);
                assertThat(tasks.path("rowsEstimate").asLong()).isEqualTo(5000);
                assertThat(storage.path("bytes").asLong()).isGreaterThanOrEqualTo(tasks.path("bytes").asLong());
                assertThat(storage.path("oldestTaskAt").asText()).isEqualTo("2026-11-01T00:01:00Z");
            }
        }
    }

    // ---- counters ------------------------------------------------------------------------------

    @Test
    void countersFollowInsertsUpdatesDeletesAndTruncate() {
        String a = TestKafka.uniqueName("cnt-a");
        String b = TestKafka.uniqueName("cnt-b");
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        var insert = dsl.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE, TASKS.STATUS, TASKS.CREATED_AT,
                TASKS.UPDATED_AT);
        for (int i = 0; i < 10; i++) {
            insert = insert.values(UUID.randomUUID(), i < 7 ? a : b, "t", TaskStatus.QUEUED, t, t);
        }
        insert.execute();
        assertCountersMatchTable();
        assertThat(counted(a, TaskStatus.QUEUED)).isEqualTo(7);

        dsl.update(TASKS).set(TASKS.STATUS, TaskStatus.RUNNING).where(TASKS.TOPIC.eq(a)).execute();
        assertCountersMatchTable();
        dsl.update(TASKS).set(TASKS.STATUS, TaskStatus.DONE).set(TASKS.FINISHED_AT, t.plusSeconds(90))
                .where(TASKS.TOPIC.eq(a)).and(TASKS.ID.in(dsl.select(TASKS.ID).from(TASKS).where(TASKS.TOPIC.eq(a))
                        .limit(4))).execute();
        assertCountersMatchTable();
        assertThat(counted(a, TaskStatus.DONE)).isEqualTo(4);
        assertThat(counted(a, TaskStatus.RUNNING)).isEqualTo(3);

        // An update that changes nothing counted, and one that moves rows to another topic.
        dsl.update(TASKS).set(TASKS.OUTPUT, "touched").where(TASKS.TOPIC.eq(a)).execute();
        dsl.update(TASKS).set(TASKS.TOPIC, b).where(TASKS.TOPIC.eq(a)).and(TASKS.STATUS.eq(TaskStatus.RUNNING))
                .execute();
        assertCountersMatchTable();
        assertThat(counted(b, TaskStatus.RUNNING)).isEqualTo(3);

        dsl.deleteFrom(TASKS).where(TASKS.TOPIC.eq(b)).and(TASKS.STATUS.eq(TaskStatus.QUEUED)).execute();
        assertCountersMatchTable();
        assertThat(counted(b, TaskStatus.QUEUED)).isZero();

        // A rolled back write leaves no delta behind.
        try {
            dsl.transaction(tx -> {
                tx.dsl().deleteFrom(TASKS).where(TASKS.TOPIC.eq(a)).execute();
                throw new IllegalStateException("roll back");
            });
        } catch (IllegalStateException expected) {
            // rolled back
        }
        assertCountersMatchTable();
        assertThat(counted(a, TaskStatus.DONE)).isEqualTo(4);
    }

    @Test
    void truncateResetsTheCounters() throws Exception {
        // Its own schema: TRUNCATE would empty the rows the other tests of this class rely on.
        try (TestDatabase own = db.freshSibling("trunc")) {
            DSLContext d = own.dsl();
            d.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE).values(UUID.randomUUID(), "x", "t").execute();
            assertThat(d.select(sum(TASK_COUNTS.N)).from(TASK_COUNTS).fetchOne(0, Long.class)).isEqualTo(1);
            d.truncate(TASKS).execute();
            assertThat(d.fetchCount(TASK_COUNTS)).isZero();
        }
    }

    @Test
    void countersFollowTheWorkersBatchedUpserts() {
        String topic = TestKafka.uniqueName("batch");
        JooqStatusStore store = new JooqStatusStore(dsl, "stats-it");
        Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            tasks.add(Task.builder().topic(topic).payload("{}", "application/json").build());
        }
        // 2500 running rows: three unnest inserts of at most 1000 rows in one transaction.
        List<StatusChange> running = new ArrayList<>();
        for (Task t : tasks.subList(0, 2000)) {
            running.add(StatusChange.running(t, "ext", null, t0));
        }
        store.apply(running);
        assertCountersMatchTable();
        assertThat(counted(topic, TaskStatus.RUNNING)).isEqualTo(2000);

        // Finishing: updates of existing rows, inserts of rows seen for the first time, and the same
        // new task twice in one batch (running then done: two rounds of statements).
        List<StatusChange> finished = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            Task t = tasks.get(i);
            Instant at = t0.plusSeconds(i % 180);
            TaskResult result = i % 10 == 0 ? TaskResult.fail("no") : i % 10 == 1 ? TaskResult.skip("later")
                    : TaskResult.done();
            if (i >= 2400) {
                finished.add(StatusChange.running(t, "ext", null, t0));
            }
            finished.add(StatusChange.finished(t, "ext", null, i < 2000 || i >= 2400, t0, at, next(result), null,
                    null));
        }
        store.apply(finished);
        assertCountersMatchTable();
        assertThat(counted(topic, TaskStatus.RUNNING)).isZero();
        assertThat(counted(topic, TaskStatus.DONE)).isEqualTo(2000);
        assertFinishedMinutesMatchTable(topic);

        // A stale repeat is refused by the store's guard: no row changes, no count changes.
        store.apply(finished.subList(0, 500));
        assertCountersMatchTable();
        assertFinishedMinutesMatchTable(topic);
    }

    @Test
    void theUpdateTriggerJoinsItsTransitionTablesWithoutANestedLoop() {
        // V7: PL/pgSQL caches the trigger's plan, and with no statistics on transition tables the
        // planner chose a nested loop: a 1,000-row update then cost ~100 ms in the trigger alone.
        String config = dsl.resultQuery("select array_to_string(proconfig, ',') from pg_proc "
                + "where proname = 'conveyor_count_updated_tasks' and pronamespace = current_schema()::regnamespace")
                .fetchOne(0, String.class);
        assertThat(config).contains("enable_nestloop=off");
    }

    @Test
    void concurrentWritersUseDifferentSlotsAndNeverWait() throws Exception {
        String topic = TestKafka.uniqueName("conc");
        String insert = "insert into tasks (id, topic, type) values (?, ?, 't')";
        try (Connection c1 = db.connect(db.schema()); Connection c2 = db.connect(db.schema())) {
            c1.setAutoCommit(false);
            c2.setAutoCommit(false);
            try (PreparedStatement p1 = c1.prepareStatement(insert); PreparedStatement p2 = c2.prepareStatement(insert);
                    Statement s2 = c2.createStatement()) {
                p1.setObject(1, UUID.randomUUID());
                p1.setString(2, topic);
                p1.executeUpdate();
                // c1 holds its counter row (topic, queued, slot) until it commits; c2 must not wait for it.
                s2.execute("set local lock_timeout = '2s'");
                p2.setObject(1, UUID.randomUUID());
                p2.setString(2, topic);
                p2.executeUpdate();
            }
            c2.commit();
            c1.commit();
        }
        assertCountersMatchTable();
        assertThat(dsl.select(countDistinct(TASK_COUNTS.SLOT)).from(TASK_COUNTS).where(TASK_COUNTS.TOPIC.eq(topic))
                .fetchOne(0, Integer.class)).isEqualTo(2);

        // Many overlapping worker batches from two threads on one topic.
        String busy = TestKafka.uniqueName("busy");
        JooqStatusStore store = new JooqStatusStore(dsl, "stats-it");
        Instant t0 = Instant.now();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                writers.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        List<StatusChange> batch = new ArrayList<>();
                        for (int i = 0; i < 200; i++) {
                            Task t = Task.builder().topic(busy).payload("{}", "application/json").build();
                            batch.add(StatusChange.running(t, "ext", null, t0));
                            batch.add(StatusChange.finished(t, "ext", null, true, t0, t0.plusMillis(i),
                                    next(i % 2 == 0 ? TaskResult.done() : TaskResult.fail("x")), null, null));
                        }
                        store.apply(batch);
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertCountersMatchTable();
        assertThat(counted(busy, TaskStatus.DONE) + counted(busy, TaskStatus.FAILED)).isEqualTo(2 * 20 * 200);
        assertFinishedMinutesMatchTable(busy);
    }

    @Test
    void migrationCountsTheTasksAlreadyThere() throws Exception {
        String schema = db.schema() + "_v4";
        Instant now = Instant.now();
        try {
            db.flyway(schema).target("4").load().migrate();
            try (Connection c = db.connect(schema)) {
                DSLContext d = DSL.using(c, SQLDialect.POSTGRES, Database.settings());
                d.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE, TASKS.STATUS, TASKS.UPDATED_AT, TASKS.FINISHED_AT)
                        .values(UUID.randomUUID(), "a", "t", TaskStatus.QUEUED, now, null)
                        .values(UUID.randomUUID(), "a", "t", TaskStatus.QUEUED, now, null)
                        .values(UUID.randomUUID(), "a", "t", TaskStatus.DONE, now, now.minusSeconds(3600))
                        .values(UUID.randomUUID(), "a", "t", TaskStatus.DONE, now, now.minus(2, ChronoUnit.DAYS))
                        .values(UUID.randomUUID(), "b", "t", TaskStatus.FAILED, now, now.minusSeconds(600))
                        .execute();
                assertThat(d.fetchValue("select to_regclass('task_counts')")).isNull();
            }
            assertThat(db.flyway(schema).target("5").load().migrate().migrationsExecuted).isEqualTo(1);

            // Checked from a session whose search path is another schema: the triggers still count
            // in the schema they belong to.
            try (Connection c = db.connect(db.schema())) {
                DSLContext d = DSL.using(c, SQLDialect.POSTGRES);
                Map<String, Long> counts = new HashMap<>();
                d.fetch("select topic || '/' || status as k, sum(n) as n from \"" + schema
                        + "\".task_counts group by topic, status").forEach(r -> counts.put(r.get("k", String.class),
                        r.get("n", Long.class)));
                assertThat(counts).containsOnly(Map.entry("a/queued", 2L), Map.entry("a/done", 2L),
                        Map.entry("b/failed", 1L));
                // Only finishes within the last day are counted as throughput.
                assertThat(d.fetchOne("select sum(n) from \"" + schema + "\".task_finished_minutes").get(0, Long.class))
                        .isEqualTo(2);

                d.execute("insert into \"" + schema + "\".tasks (id, topic, type) values ('" + UUID.randomUUID()
                        + "', 'a', 't')");
                assertThat(d.fetchOne("select sum(n) from \"" + schema
                        + "\".task_counts where topic = 'a' and status = 'queued'").get(0, Long.class)).isEqualTo(3);
            }
        } finally {
            try (Connection c = db.connect(db.schema()); Statement s = c.createStatement()) {
                s.execute("drop schema if exists \"" + schema + "\" cascade");
            }
        }
    }

    // ---- the stats document --------------------------------------------------------------------

    @Test
    void statsDocumentHasEveryFigure() {
        String orders = TestKafka.uniqueName("orders");
        String idle = TestKafka.uniqueName("idle");
        Instant now = Instant.parse("2026-11-22T20:00:00Z");
        Instant oldest = Instant.parse("2001-01-01T00:00:00Z");
        insertTasks(orders, TaskStatus.QUEUED, 3, now.minusSeconds(5), null);
        insertTasks(orders, TaskStatus.QUEUED, 1, oldest, null);
        insertTasks(orders, TaskStatus.RUNNING, 1, now, null);
        insertTasks(orders, TaskStatus.DONE, 5, now, now.minusSeconds(120));
        insertTasks(orders, TaskStatus.FAILED, 2, now, now.minusSeconds(120));
        Instant due = Instant.parse("2001-01-01T00:00:07Z");
        dsl.insertInto(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT,
                        SCHEDULED_DELIVERIES.TOPIC, SCHEDULED_DELIVERIES.DUE_AT)
                .values(UUID.randomUUID(), 2, orders, due)
                .values(UUID.randomUUID(), 2, orders, due.plusSeconds(60))
                .execute();

        JsonNode stats;
        try (StatsApi api = new StatsApi(dsl, config(kafka.bootstrap(), Set.of(idle), TestKafka.uniqueName("g")),
                Clock.fixed(now, ZoneOffset.UTC))) {
            stats = api.stats();
        }

        assertThat(stats.fieldNames()).toIterable().containsExactly("at", "topics", "totals", "oldestQueuedAt",
                "oldestQueuedAgeSeconds", "scheduled", "lag", "throughput", "storage");
        assertThat(stats.get("at").asText()).isEqualTo("2026-11-22T20:00:00Z");
        JsonNode o = topic(stats, orders);
        assertThat(o.get("counts").fieldNames()).toIterable().containsExactly("queued", "running", "rescheduled",
                "done", "failed", "skipped", "cancelled", "dead");
        assertThat(o.get("counts").get("queued").asLong()).isEqualTo(4);
        assertThat(o.get("counts").get("running").asLong()).isEqualTo(1);
        assertThat(o.get("counts").get("done").asLong()).isEqualTo(5);
        assertThat(o.get("counts").get("failed").asLong()).isEqualTo(2);
        assertThat(o.get("counts").get("dead").asLong()).isZero();
        assertThat(o.get("lag").isNull()).isTrue();  // the group has committed nothing on it
        JsonNode i = topic(stats, idle);  // configured, no tasks yet
        i.get("counts").forEach(n -> assertThat(n.asLong()).isZero());

        // Totals are the sums over the topics listed, which equal a full count of the table.
        Map<String, Long> byStatus = new HashMap<>();
        dsl.select(TASKS.STATUS, DSL.count()).from(TASKS).groupBy(TASKS.STATUS)
                .forEach(r -> byStatus.put(r.value1().wireName(), r.value2().longValue()));
        for (TaskStatus s : TaskStatus.values()) {
            long sum = 0;
            for (JsonNode t : stats.get("topics")) {
                sum += t.get("counts").get(s.wireName()).asLong();
            }
            assertThat(stats.get("totals").get(s.wireName()).asLong()).isEqualTo(sum)
                    .isEqualTo(byStatus.getOrDefault(s.wireName(), 0L));
        }

        assertThat(stats.get("oldestQueuedAt").asText()).isEqualTo(oldest.toString());
        assertThat(stats.get("oldestQueuedAgeSeconds").asDouble())
                .isEqualTo((now.toEpochMilli() - oldest.toEpochMilli()) / 1000.0);
        assertThat(stats.get("scheduled").get("pending").asLong()).isEqualTo(dsl.fetchCount(SCHEDULED_DELIVERIES));
        assertThat(stats.get("scheduled").get("nextDueAt").asText()).isEqualTo(due.toString());
        assertThat(stats.get("lag").get("available").asBoolean()).isTrue();
        assertThat(stats.get("lag").get("total").asLong()).isZero();
        assertThat(stats.get("throughput")).hasSize(15);
        assertThat(stats.get("throughput").get(0).get("minute").asText()).isEqualTo("2026-11-22T19:45:00Z");
        assertThat(stats.get("throughput").get(14).get("minute").asText()).isEqualTo("2026-11-22T19:59:00Z");
        JsonNode at1958 = stats.get("throughput").get(13);
        assertThat(at1958.get("finished").asLong()).isGreaterThanOrEqualTo(7);
        assertThat(at1958.get("failed").asLong()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void eachTopicHasItsQueuedBacklogAndOldestQueuedTaskBesideItsLag() throws Exception {
        String busy = kafka.createTopic("backlog", 1);
        String other = TestKafka.uniqueName("backlog-other");
        String drained = TestKafka.uniqueName("backlog-drained");
        String group = TestKafka.uniqueName("g");
        Instant now = Instant.parse("2026-11-22T20:00:00Z");
        Instant busyOldest = now.minusSeconds(300);
        Instant otherOldest = now.minusMillis(2500);
        insertTasks(busy, TaskStatus.QUEUED, 4, now.minusSeconds(10), null);
        insertTasks(busy, TaskStatus.QUEUED, 1, busyOldest, null);
        insertTasks(busy, TaskStatus.RUNNING, 1, busyOldest.minusSeconds(60), null);  // not queued: not counted
        insertTasks(other, TaskStatus.QUEUED, 2, otherOldest, null);
        insertTasks(drained, TaskStatus.DONE, 3, now.minusSeconds(900), now.minusSeconds(800));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            for (int i = 0; i < 7; i++) {
                producer.send(new ProducerRecord<>(busy, 0, null, new byte[] {(byte) i})).get();
            }
        }
        kafka.admin().alterConsumerGroupOffsets(group, Map.of(new TopicPartition(busy, 0), new OffsetAndMetadata(2)))
                .all().get();

        JsonNode stats;
        try (StatsApi api = new StatsApi(dsl, config(kafka.bootstrap(), Set.of(busy), group),
                Clock.fixed(now, ZoneOffset.UTC))) {
            stats = api.stats();
        }

        JsonNode b = topic(stats, busy);
        assertThat(b.get("queued").asLong()).isEqualTo(5).isEqualTo(b.get("counts").get("queued").asLong());
        assertThat(b.get("oldestQueuedAt").asText()).isEqualTo(busyOldest.toString());
        assertThat(b.get("oldestQueuedAgeSeconds").asDouble()).isEqualTo(300.0);
        assertThat(b.get("lag").asLong()).isEqualTo(5);
        JsonNode o = topic(stats, other);
        assertThat(o.get("queued").asLong()).isEqualTo(2);
        assertThat(o.get("oldestQueuedAt").asText()).isEqualTo(otherOldest.toString());
        assertThat(o.get("oldestQueuedAgeSeconds").asDouble()).isEqualTo(2.5);
        assertThat(o.get("lag").isNull()).isTrue();  // the group never consumed it
        JsonNode d = topic(stats, drained);
        assertThat(d.get("queued").asLong()).isZero();
        assertThat(d.get("oldestQueuedAt").isNull()).isTrue();
        assertThat(d.get("oldestQueuedAgeSeconds").isNull()).isTrue();
        // The overall figure is the oldest of the topics' (other tests' topics may hold older ones).
        assertThat(Instant.parse(stats.get("oldestQueuedAt").asText())).isBeforeOrEqualTo(busyOldest);
    }

    @Test
    void theOldestQueuedTaskOfEachTopicIsOneIndexProbe() {
        // Its own schema with a table large enough that the planner's choice means something:
        // 100,000 tasks in 7 topics, 97 % finished, 3 % queued.
        try (TestDatabase own = db.freshSibling("probe")) {
            DSLContext d = own.dsl();
            d.execute("""
                    insert into tasks (id, topic, kind, type, status, attempt, created_at, updated_at, finished_at)
                    select gen_random_uuid(), 'topic-' || (i % 7), 'background', 't',
                           case when i % 100 < 90 then 'done' when i % 100 < 97 then 'failed' else 'queued' end,
                           1, ts, ts, case when i % 100 < 97 then ts end
                    from (select i, timestamptz '2026-11-01' + i * interval '13 seconds' as ts
                          from generate_series(1, 100000) i) s""");
            d.execute("vacuum analyze tasks");
            d.execute("vacuum analyze task_counts");
            try (StatsApi api = new StatsApi(d, config("127.0.0.1:1", Set.of(), "g"), Clock.systemUTC())) {
                String sql = d.renderInlined(api.queries(Instant.now()).get("oldest_queued"));
                List<String> plan = d.fetch("explain (analyze, buffers) " + sql).getValues(0, String.class);
                String text = String.join("\n", plan);
                org.slf4j.LoggerFactory.getLogger(StatsApiIT.class).info("oldest_queued\n{}\n{}", sql, text);
                assertThat(text).as(text).contains("tasks_status_topic_created_idx").doesNotContain("Seq Scan on tasks");
                // Whole query, every topic: a few pages per probe, not the ~3,000 queued index entries.
                var buffers = java.util.regex.Pattern.compile("Buffers: shared hit=(\\d+)(?: read=(\\d+))?")
                        .matcher(text);
                assertThat(buffers.find()).as(text).isTrue();
                long pages = Long.parseLong(buffers.group(1)) + (buffers.group(2) == null ? 0 : Long.parseLong(buffers.group(2)));
                assertThat(pages).as(text).isLessThan(100);

                Map<String, String> expected = new HashMap<>();
                d.fetch("select topic, min(created_at) as m, count(*) as n from tasks where status = 'queued' "
                                + "group by topic")
                        .forEach(r -> expected.put(r.get("topic", String.class),
                                r.get("m", Instant.class) + "/" + r.get("n", Long.class)));
                Map<String, String> actual = new HashMap<>();
                api.stats().get("topics").forEach(t -> actual.put(t.get("topic").asText(),
                        t.get("oldestQueuedAt").asText() + "/" + t.get("queued").asLong()));
                assertThat(actual).hasSize(7).isEqualTo(expected);
            }
        }
    }

    @Test
    void throughputCountsTasksPerMinuteAndForgetsOldMinutes() {
        String topic = TestKafka.uniqueName("tp");
        // A clock far from every other test's rows: the throughput window is not per topic.
        Instant now = Instant.parse("2031-03-04T05:06:30Z");
        Instant first = Instant.parse("2031-03-04T04:51:00Z");
        Instant last = Instant.parse("2031-03-04T05:05:00Z");
        insertTasks(topic, TaskStatus.DONE, 3, now, last.plusSeconds(59));
        insertTasks(topic, TaskStatus.FAILED, 1, now, last.plusSeconds(1));
        insertTasks(topic, TaskStatus.DEAD, 1, now, last);
        insertTasks(topic, TaskStatus.SKIPPED, 2, now, first.plusSeconds(30));
        insertTasks(topic, TaskStatus.DONE, 1, now, Instant.parse("2031-03-04T05:06:00Z"));  // current minute
        insertTasks(topic, TaskStatus.DONE, 1, now, Instant.parse("2031-03-04T04:50:59Z"));  // before the window
        insertTasks(topic, TaskStatus.DONE, 1, now, Instant.parse("2031-03-02T00:00:00Z"));  // older than a day
        // No finished_at: counted at updated_at.
        dsl.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE, TASKS.STATUS, TASKS.UPDATED_AT)
                .values(UUID.randomUUID(), topic, "t", TaskStatus.CANCELLED, Instant.parse("2031-03-04T05:00:10Z"))
                .execute();
        // Becoming terminal by update counts once; terminal to terminal does not count again.
        UUID id = UUID.randomUUID();
        dsl.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE, TASKS.STATUS).values(id, topic, "t",
                TaskStatus.RUNNING).execute();
        dsl.update(TASKS).set(TASKS.STATUS, TaskStatus.DONE).set(TASKS.FINISHED_AT, Instant.parse("2031-03-04T05:01:00Z"))
                .where(TASKS.ID.eq(id)).execute();
        dsl.update(TASKS).set(TASKS.STATUS, TaskStatus.FAILED).where(TASKS.ID.eq(id)).execute();
        assertThat(dsl.fetchCount(TASK_FINISHED_MINUTES, TASK_FINISHED_MINUTES.TOPIC.eq(topic)
                .and(TASK_FINISHED_MINUTES.MINUTE.eq(Instant.parse("2031-03-02T00:00:00Z"))))).isEqualTo(1);

        JsonNode stats;
        try (StatsApi api = new StatsApi(dsl, config("127.0.0.1:1", Set.of(), "g"), Clock.fixed(now, ZoneOffset.UTC))) {
            stats = api.stats();
        }
        JsonNode throughput = stats.get("throughput");
        assertThat(throughput).hasSize(15);
        Map<String, String> figures = new HashMap<>();
        throughput.forEach(m -> figures.put(m.get("minute").asText(),
                m.get("finished").asLong() + "/" + m.get("failed").asLong()));
        assertThat(figures).containsEntry("2031-03-04T04:51:00Z", "2/0")
                .containsEntry("2031-03-04T05:00:00Z", "1/0")
                .containsEntry("2031-03-04T05:01:00Z", "1/0")
                .containsEntry("2031-03-04T05:05:00Z", "5/2")
                .containsEntry("2031-03-04T05:03:00Z", "0/0");
        assertThat(throughput.get(0).get("minute").asText()).isEqualTo("2031-03-04T04:51:00Z");
        assertThat(throughput.get(14).get("minute").asText()).isEqualTo("2031-03-04T05:05:00Z");
        // The call deleted the minute older than a day.
        assertThat(dsl.fetchCount(TASK_FINISHED_MINUTES, TASK_FINISHED_MINUTES.MINUTE.lt(now.minus(1, ChronoUnit.DAYS))))
                .isZero();
        // Kafka at 127.0.0.1:1 does not answer: database figures are served, lag is unavailable.
        assertThat(stats.get("lag").get("available").asBoolean()).isFalse();
        assertThat(stats.get("lag").get("total").isNull()).isTrue();
        assertThat(topic(stats, topic).get("lag").isNull()).isTrue();
        assertThat(topic(stats, topic).get("counts").get("done").asLong()).isEqualTo(6);
        assertThat(topic(stats, topic).get("counts").get("failed").asLong()).isEqualTo(2);
    }

    @Test
    void lagOfAGroupThatConsumedPartOfATopic() throws Exception {
        String topic = kafka.createTopic("lag", 2);
        String group = TestKafka.uniqueName("workers");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, new byte[] {(byte) i})).get();
            }
        }
        // The group consumed 3 of partition 0's 5 records and 1 of partition 1's: 2 + 4 behind.
        kafka.admin().alterConsumerGroupOffsets(group, Map.of(
                new TopicPartition(topic, 0), new OffsetAndMetadata(3),
                new TopicPartition(topic, 1), new OffsetAndMetadata(1))).all().get();

        JsonNode stats;
        try (StatsApi api = new StatsApi(dsl, config(kafka.bootstrap(), Set.of(topic), group), Clock.systemUTC())) {
            stats = api.stats();
        }
        assertThat(topic(stats, topic).get("lag").asLong()).isEqualTo(6);
        assertThat(stats.get("lag").get("group").asText()).isEqualTo(group);
        assertThat(stats.get("lag").get("total").asLong()).isEqualTo(6);
        assertThat(stats.get("lag").get("available").asBoolean()).isTrue();
    }

    // ---- over HTTP -----------------------------------------------------------------------------

    @Test
    void servedOverHttpBehindTheBearerToken() throws Exception {
        String topic = kafka.createTopic("http", 1);
        HttpClient http = HttpClient.newHttpClient();
        try (Database database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 2, db.schema()),
                "stats-it");
                IngressServer ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap()).port(0)
                        .topics(Set.of(topic)).tokens(Set.of("s3cret")).build(),
                        new IngressServer.Collaborators(database, Clock.systemUTC()))) {
            HttpRequest.Builder get = HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/stats")).GET();
            HttpResponse<String> refused = http.send(get.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(json(refused).get("error").asText()).isEqualTo("unauthorized");

            HttpResponse<String> ok = http.send(get.header("Authorization", "Bearer s3cret").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode stats = json(ok);
            assertThat(topic(stats, topic).get("counts").get("queued").asLong()).isZero();
            assertThat(stats.get("lag").get("group").asText()).isEqualTo(IngressConfig.DEFAULT_WORKER_GROUP);
            assertThat(stats.get("throughput")).hasSize(15);

            HttpResponse<String> wrongToken = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/stats"))
                    .header("Authorization", "Bearer guess").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrongToken.statusCode()).isEqualTo(401);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static IngressConfig config(String bootstrap, Set<String> topics, String group) {
        return IngressConfig.builder(bootstrap).topics(topics).workerGroup(group).build();
    }

    private static NextStatus next(TaskResult result) {
        return NextStatus.of(Outcome.of(result), 1, 0, RetryPolicy.defaults(), 0.5);
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode topic(JsonNode stats, String topic) {
        for (JsonNode t : stats.get("topics")) {
            if (t.get("topic").asText().equals(topic)) {
                return t;
            }
        }
        throw new AssertionError("topic " + topic + " is not in " + stats.get("topics"));
    }

    private void insertTasks(String topic, TaskStatus status, int n, Instant created, Instant finished) {
        var insert = dsl.insertInto(TASKS, TASKS.ID, TASKS.TOPIC, TASKS.TYPE, TASKS.STATUS, TASKS.CREATED_AT,
                TASKS.UPDATED_AT, TASKS.FINISHED_AT);
        for (int i = 0; i < n; i++) {
            insert = insert.values(UUID.randomUUID(), topic, "t", status, created,
                    finished == null ? created : finished, finished);
        }
        insert.execute();
    }

    private long counted(String topic, TaskStatus status) {
        var n = dsl.select(sum(TASK_COUNTS.N)).from(TASK_COUNTS).where(TASK_COUNTS.TOPIC.eq(topic))
                .and(TASK_COUNTS.STATUS.eq(status)).fetchOne(0, Long.class);
        return n == null ? 0 : n;
    }

    /** task_counts summed over slots equals a full count of tasks, for every topic and status. */
    private void assertCountersMatchTable() {
        Map<String, Long> expected = new HashMap<>();
        dsl.select(TASKS.TOPIC, TASKS.STATUS, DSL.count()).from(TASKS).groupBy(TASKS.TOPIC, TASKS.STATUS)
                .forEach(r -> expected.put(r.value1() + "/" + r.value2().wireName(), r.value3().longValue()));
        Map<String, Long> actual = new HashMap<>();
        dsl.select(TASK_COUNTS.TOPIC, TASK_COUNTS.STATUS, sum(TASK_COUNTS.N)).from(TASK_COUNTS)
                .groupBy(TASK_COUNTS.TOPIC, TASK_COUNTS.STATUS)
                .forEach(r -> {
                    if (r.value3().signum() != 0) {
                        actual.put(r.value1() + "/" + r.value2().wireName(), r.value3().longValue());
                    }
                });
        assertThat(actual).isEqualTo(expected);
    }

    /** For a topic whose tasks each became terminal once: task_finished_minutes equals a count of tasks. */
    private void assertFinishedMinutesMatchTable(String topic) {
        Map<String, Long> expected = new HashMap<>();
        dsl.fetch("select date_trunc('minute', coalesce(finished_at, updated_at)) as m, status, count(*) as n "
                        + "from tasks where topic = ? and status in ('done', 'failed', 'skipped', 'cancelled', 'dead') "
                        + "group by 1, 2", topic)
                .forEach(r -> expected.put(r.get("m", Instant.class) + "/" + r.get("status", String.class),
                        r.get("n", Long.class)));
        Map<String, Long> actual = new HashMap<>();
        dsl.select(TASK_FINISHED_MINUTES.MINUTE, TASK_FINISHED_MINUTES.STATUS, sum(TASK_FINISHED_MINUTES.N))
                .from(TASK_FINISHED_MINUTES).where(TASK_FINISHED_MINUTES.TOPIC.eq(topic))
                .groupBy(TASK_FINISHED_MINUTES.MINUTE, TASK_FINISHED_MINUTES.STATUS)
                .forEach(r -> actual.put(r.value1() + "/" + r.value2().wireName(), r.value3().longValue()));
        assertThat(actual).isEqualTo(expected).isNotEmpty();
    }
}
