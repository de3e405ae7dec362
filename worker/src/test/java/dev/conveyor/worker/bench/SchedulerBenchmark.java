package dev.conveyor.worker.bench;

import static dev.conveyor.testing.bench.BenchOutput.*;

import dev.conveyor.testing.bench.BenchOutput;
import static dev.conveyor.schema.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.db.Database;
import dev.conveyor.schema.db.DbConfig;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.scheduler.Scheduler;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Ordering;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record1;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.LoggerFactory;

/**
 * Scheduler benchmark: a real KRaft broker and a real PostgreSQL in this JVM, no JUnit, built like
 * {@link WorkerBenchmark}. Every workload prints one JSON line with what it measured to standard
 * output; everything else goes to standard error. Run it with {@code ops/bin/bench-scheduler}.
 *
 * <ol>
 *   <li>{@code W2-future-dated-burst}: a worker and one scheduler; N future-dated events produced
 *       to {@code <prefix>delayed}, each due 2 s after its own enqueue time; lateness of each
 *       task's handle() entry against its due time;</li>
 *   <li>{@code W3-reschedule-once}: a worker (reschedule floor 1 s) and one scheduler; N tasks
 *       published to their topic, each answering {@code reschedule(1 s)} on attempt 1 and
 *       {@code done} on attempt 2; lateness of the second run against the {@code rescheduled}
 *       transition's time + 1 s;</li>
 *   <li>{@code M1-heap-pending}: heap used with a scheduler running and 0, then M pending
 *       deliveries due in an hour.</li>
 * </ol>
 *
 * <p>To tell where lateness comes from, each of W2 and W3 also reports:
 * <ul>
 *   <li>{@code known_ahead_*}: due time minus the time the delivery row was inserted into
 *       {@code scheduled_deliveries} (noted by a benchmark-only row trigger, created here and
 *       dropped before M1); negative means the row arrived after its due time
 *       ({@code inserted_after_due} counts those);</li>
 *   <li>{@code sent_after_due_*}: the timestamp of the record the scheduler produced (CreateTime,
 *       read by a plain consumer on the task topic) minus the due time; {@code send_to_handle_*}:
 *       handle() entry minus that timestamp (the worker's share);</li>
 *   <li>{@code deleted_after_due_*}: when the scheduler deleted the row (the last step of its
 *       delivery transaction, after producing and marking the task queued) minus the due time;</li>
 *   <li>{@code pg_deadlocks} (pg_stat_database), and the failures the scheduler, the delayed
 *       intake and the worker's status writers logged, with the threads that lost a deadlock.</li>
 * </ul>
 */
public final class SchedulerBenchmark {

    private static final int KEYS = 1024;
    private static final Duration W2_DELAY = Duration.ofSeconds(2);
    private static final Duration W3_COUNTDOWN = Duration.ofSeconds(1);
    private static final int M1_BATCH = 100_000;


    private final Options options;
    private final String bootstrap;
    private final Database db;
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private final String prefix = "bench." + runId + ".";
    private final LogCounter logs = LogCounter.attach();
    private boolean failed;

    private SchedulerBenchmark(Options options, String bootstrap, Database db) {
        this.options = options;
        this.bootstrap = bootstrap;
        this.db = db;
    }

    public static void main(String[] args) {
        BenchOutput.runMain("bench-scheduler", Options.USAGE, () -> run(Options.parse(args)));
    }

    private static boolean run(Options o) throws Exception {
        progress("starting Kafka broker");
        long t = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            double brokerSeconds = secondsSince(t);
            progress("starting PostgreSQL");
            t = System.nanoTime();
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
                String url = pg.getJdbcUrl("postgres", "postgres");
                // Worker (status writers, state reads) and scheduler (LISTEN, loop, intake) share
                // one pool, as they do in one process.
                try (Database db = Database.openAndMigrate(new DbConfig(url, "postgres", null, 10, "public"), "bench")) {
                    double pgSeconds = secondsSince(t);
                    ObjectNode setup = line("setup");
                    setup.put("cpus", Runtime.getRuntime().availableProcessors());
                    setup.put("jdk", Runtime.version().toString());
                    setup.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
                    setup.put("gc", ManagementFactory.getGarbageCollectorMXBeans().stream()
                            .map(b -> b.getName()).reduce((a, b) -> a + ", " + b).orElse("?"));
                    setup.put("broker_start_seconds", round3(brokerSeconds));
                    setup.put("postgres_start_seconds", round3(pgSeconds));
                    setup.put("postgres_version", db.dsl().fetchValue("show server_version").toString());
                    setup.put("postgres_fsync", pgSetting(db.dsl(), "fsync"));
                    setup.put("postgres_synchronous_commit", pgSetting(db.dsl(), "synchronous_commit"));
                    setup.put("postgres_deadlock_timeout", pgSetting(db.dsl(), "deadlock_timeout"));
                    setup.put("pool_size", 10);
                    setup.put("tasks", o.tasks);
                    setup.put("pending", o.pending);
                    setup.put("partitions", o.partitions);
                    emit(setup);
                    return new SchedulerBenchmark(o, broker.bootstrap(), db).workloads();
                }
            }
        } finally {
            progress("infrastructure closed");
        }
    }

    private boolean workloads() throws Exception {
        installInsertAudit();
        futureDatedBurst();
        rescheduleOnce();
        dropInsertAudit();
        heapWithPending();
        return !failed;
    }

    // ---- W2: future-dated burst -----------------------------------------------------------------

    private void futureDatedBurst() throws Exception {
        int n = options.tasks;
        String topic = "bench.sched.w2." + runId;
        createTopic(topic, options.partitions);
        Map<UUID, Instant> due = new ConcurrentHashMap<>(n * 2);
        Runs runs = new Runs();
        Recorder extension = new Recorder(topic, "bench-w2", task -> {
            runs.record(task, System.currentTimeMillis(), due.containsKey(task.id()));
            return TaskResult.done();
        });
        ObjectNode json = line("W2-future-dated-burst");
        json.put("tasks", n);
        json.put("delay_ms", W2_DELAY.toMillis());
        json.put("partitions", options.partitions);
        json.put("delayed_topic", prefix + "delayed");

        Contention contention = new Contention();
        progress("W2: starting worker and scheduler");
        Tap tap = new Tap(topic, 1);
        Worker worker = startWorker("bench-w2", extension, RetryPolicy.defaults());
        Scheduler scheduler = startScheduler("bench-w2");
        try (tap; KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(5))) {
            producer.partitionsFor(prefix + "delayed");
            producer.partitionsFor(topic);

            // Warm-up, outside the figures: one future-dated task through the whole path, so the
            // intake's consumer has joined its group and every client has its metadata.
            long warmStart = System.nanoTime();
            Task warm = Task.builder().topic(topic).payload("{\"warmup\":true}", "application/json").build();
            producer.send(DelayedRecords.encode(warm, Instant.now().plusMillis(500), prefix + "delayed")).get();
            long warmDeadline = warmStart + TimeUnit.SECONDS.toNanos(60);
            while (!runs.ran(warm.id()) && System.nanoTime() < warmDeadline) {
                Thread.sleep(10);
            }
            if (!runs.ran(warm.id())) {
                throw new IllegalStateException("W2: the warm-up future-dated task did not run within 60 s");
            }
            json.put("warmup_tasks", 1); // counted in done_rows and records_produced, not in the figures
            json.put("warmup_seconds", round3(secondsSince(warmStart)));

            progress("W2: producing " + n + " future-dated tasks, each due " + W2_DELAY.toMillis() + " ms after send");
            AtomicLong errors = new AtomicLong();
            AtomicReference<Exception> firstError = new AtomicReference<>();
            long firstSendMs = System.currentTimeMillis();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Task task = Task.builder().topic(topic).payload("{\"n\":" + i + "}", "application/json")
                        .key("k" + (i % KEYS)).build();
                Instant dueAt = Instant.now().plus(W2_DELAY);
                due.put(task.id(), dueAt);
                producer.send(DelayedRecords.encode(task, dueAt, prefix + "delayed"), (md, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e);
                    }
                });
            }
            long lastEnqueueMs = System.currentTimeMillis();
            producer.flush();
            json.put("produce_seconds", round3(secondsSince(start)));
            if (errors.get() > 0) {
                throw new IllegalStateException(errors.get() + " sends failed in W2", firstError.get());
            }

            long deadline = start + W2_DELAY.toNanos() + TimeUnit.SECONDS.toNanos(options.stepTimeoutSeconds);
            while (runs.measured() < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
                if (progressDue()) {
                    progress("W2: " + runs.measured() + " of " + n + " ran");
                }
            }
            awaitNoPending(topic, deadline);
            Thread.sleep(1000); // room for a duplicate record or run to show up
            json.put("ran", runs.measured());

            long[] lateness = new long[n];
            int k = 0;
            long lastStartMs = 0;
            for (Map.Entry<UUID, Instant> e : due.entrySet()) {
                Run r = runs.get(e.getKey());
                if (r != null) {
                    lateness[k++] = r.firstStartMs - e.getValue().toEpochMilli();
                    lastStartMs = Math.max(lastStartMs, r.firstStartMs);
                }
            }
            Stats late = Stats.of(Arrays.copyOf(lateness, k));
            late.put(json, "lateness_", true);
            json.put("early_count", late.negative);
            json.put("total_seconds", round3((lastStartMs - firstSendMs) / 1000.0));
            json.put("ideal_seconds", round3((lastEnqueueMs + W2_DELAY.toMillis() - firstSendMs) / 1000.0));
            json.put("duplicate_runs", runs.extraRuns(due.keySet()));
            json.put("worker_dropped_duplicates", Math.round(worker.metrics().duplicates()));
            tap.await(n + 1, Duration.ofSeconds(10)); // and the warm-up task
            tap.put(json, due, runs);
            deliveryAudit(json, topic, 1, due);
            if (k < n) {
                fail(json, "only " + k + " of " + n + " future-dated tasks ran within "
                        + (W2_DELAY.toSeconds() + options.stepTimeoutSeconds) + " s");
            }
            if (late.negative > 0) {
                fail(json, late.negative + " task(s) ran before their due time");
            }
        } finally {
            scheduler.close();
            worker.close();
        }
        json.put("done_rows", db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.STATUS.eq(TaskStatus.DONE))));
        json.put("pending_left", db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)));
        contention.put(json);
        emit(json);
    }

    // ---- W3: reschedule once by 1 s ---------------------------------------------------------

    private void rescheduleOnce() throws Exception {
        int n = options.tasks;
        String topic = "bench.sched.w3." + runId;
        createTopic(topic, options.partitions);
        Runs first = new Runs();
        Runs second = new Runs();
        AtomicInteger otherAttempts = new AtomicInteger();
        Recorder extension = new Recorder(topic, "bench-w3", task -> {
            long now = System.currentTimeMillis();
            return switch (task.attempt()) {
                case 1 -> {
                    first.record(task, now, true);
                    yield TaskResult.reschedule(W3_COUNTDOWN);
                }
                case 2 -> {
                    second.record(task, now, true);
                    yield TaskResult.done();
                }
                default -> {
                    otherAttempts.incrementAndGet();
                    yield TaskResult.done();
                }
            };
        });
        ObjectNode json = line("W3-reschedule-once");
        json.put("tasks", n);
        json.put("countdown_ms", W3_COUNTDOWN.toMillis());
        // Reschedule floor lowered to 1 s (the default is 30 s), as in SchedulerIT.
        RetryPolicy retry = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(300),
                Backoff.fixed(Duration.ofMillis(1)));
        json.put("reschedule_floor_ms", retry.rescheduleFloor().toMillis());
        json.put("partitions", options.partitions);
        Contention contention = new Contention();
        progress("W3: starting worker and scheduler");
        Tap tap = new Tap(topic, 2);
        Worker worker = startWorker("bench-w3", extension, retry);
        Scheduler scheduler = startScheduler("bench-w3");
        List<UUID> ids = new java.util.ArrayList<>(n);
        long start;
        long end = 0;
        long done = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(5))) {
            producer.partitionsFor(topic);
            progress("W3: publishing " + n + " tasks to " + topic);
            AtomicLong errors = new AtomicLong();
            AtomicReference<Exception> firstError = new AtomicReference<>();
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Task task = Task.builder().topic(topic).payload("{\"n\":" + i + "}", "application/json")
                        .key("k" + (i % KEYS)).build();
                ids.add(task.id());
                producer.send(codec.encode(task), (md, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
            json.put("produce_seconds", round3(secondsSince(start)));
            if (errors.get() > 0) {
                throw new IllegalStateException(errors.get() + " sends failed in W3", firstError.get());
            }
            long deadline = start + TimeUnit.SECONDS.toNanos(options.stepTimeoutSeconds);
            // Wait on the in-memory counter first; count rows only near the end.
            while (second.measured() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
                if (progressDue()) {
                    progress("W3: " + first.measured() + " first runs, " + second.measured() + " second runs");
                }
            }
            while (System.nanoTime() < deadline) {
                done = db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.STATUS.eq(TaskStatus.DONE)));
                if (done >= n) {
                    end = System.nanoTime();
                    break;
                }
                Thread.sleep(20);
            }
            awaitNoPending(topic, deadline);
            Thread.sleep(1000); // room for a duplicate record or run to show up
            tap.await(n, Duration.ofSeconds(10));
        } finally {
            tap.close();
            scheduler.close();
            worker.close();
        }
        json.put("first_runs", first.measured());
        json.put("second_runs", second.measured());
        json.put("done_rows", done);
        json.put("first_runs_seconds", round3((first.lastStartMs() - first.firstStartMs()) / 1000.0));

        // Due time of the second run: the rescheduled transition's time + the countdown.
        Map<UUID, Instant> rescheduledAt = new HashMap<>(n * 2);
        int rescheduledRows = 0;
        for (var r : db.dsl().select(TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.AT).from(TASK_TRANSITIONS)
                .join(TASKS).on(TASKS.ID.eq(TASK_TRANSITIONS.TASK_ID))
                .where(TASKS.TOPIC.eq(topic)).and(TASK_TRANSITIONS.TO_STATUS.eq(TaskStatus.RESCHEDULED))
                .fetch()) {
            rescheduledRows++;
            rescheduledAt.merge(r.value1(), r.value2(), (a, b) -> a.isBefore(b) ? a : b);
        }
        Map<UUID, Instant> due = new HashMap<>(n * 2);
        rescheduledAt.forEach((id, at) -> due.put(id, at.plus(W3_COUNTDOWN)));
        json.put("rescheduled_transitions", rescheduledRows);

        long[] lateness = new long[n];
        long[] produced = new long[n];
        int k = 0;
        int p = 0;
        Map<UUID, Instant> redelivered = new HashMap<>(n * 2);
        for (var r : db.dsl().select(TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.AT).from(TASK_TRANSITIONS)
                .join(TASKS).on(TASKS.ID.eq(TASK_TRANSITIONS.TASK_ID))
                .where(TASKS.TOPIC.eq(topic)).and(TASK_TRANSITIONS.FROM_STATUS.eq(TaskStatus.RESCHEDULED))
                .and(TASK_TRANSITIONS.TO_STATUS.eq(TaskStatus.QUEUED))
                .fetch()) {
            redelivered.merge(r.value1(), r.value2(), (a, b) -> a.isBefore(b) ? a : b);
        }
        json.put("redelivered_transitions", redelivered.size());
        for (UUID id : ids) {
            Instant d = due.get(id);
            Run r = second.get(id);
            if (d != null && r != null) {
                lateness[k++] = r.firstStartMs - d.toEpochMilli();
            }
            Instant delivered = redelivered.get(id);
            if (d != null && delivered != null) {
                produced[p++] = Duration.between(d, delivered).toMillis();
            }
        }
        Stats late = Stats.of(Arrays.copyOf(lateness, k));
        late.put(json, "lateness_", true);
        json.put("early_count", late.negative);
        // When the scheduler claimed the delivery (the "redelivered" transition's time) against due.
        Stats claim = Stats.of(Arrays.copyOf(produced, p));
        json.put("claim_after_due_p50_ms", claim.p50);
        json.put("claim_after_due_p99_ms", claim.p99);
        json.put("claim_after_due_max_ms", claim.max);
        tap.put(json, due, second);
        deliveryAudit(json, topic, 2, due);
        if (end > 0) {
            json.put("total_seconds", round3((end - start) / 1e9));
        }
        json.put("duplicate_runs", first.extraRuns(Set.copyOf(ids)) + second.extraRuns(Set.copyOf(ids)));
        json.put("other_attempts", otherAttempts.get());
        json.put("worker_dropped_duplicates", Math.round(worker.metrics().duplicates()));
        json.put("pending_left", db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)));
        contention.put(json);
        if (done < n) {
            fail(json, "only " + done + " of " + n + " tasks done within " + options.stepTimeoutSeconds + " s");
        }
        if (late.negative > 0) {
            fail(json, late.negative + " second run(s) started before their due time");
        }
        emit(json);
    }

    /**
     * Waits until the scheduler has no delivery row left for {@code topic}: a delivery transaction
     * that was rolled back (its records already produced and run) is produced again later, and
     * the figures should include that.
     */
    private void awaitNoPending(String topic, long deadline) throws InterruptedException {
        while (db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)) > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    // ---- M1: heap with pending deliveries ---------------------------------------------------------

    private void heapWithPending() throws Exception {
        int m = options.pending;
        ObjectNode json = line("M1-heap-pending");
        json.put("pending", m);
        progress("M1: starting the scheduler");
        Scheduler scheduler = startScheduler("bench-m1");
        try {
            Thread.sleep(3000); // a few idle cycles first
            long baseline1 = heapUsed();
            Thread.sleep(3000);
            long baseline = heapUsed();
            json.put("heap_before_mb", mb(baseline));
            json.put("heap_before_repeat_gap_mb", mb(baseline - baseline1));

            progress("M1: inserting " + m + " deliveries due in an hour, " + M1_BATCH + " per statement");
            String topic = "bench.sched.m1." + runId;
            Instant dueBase = Instant.now().plus(Duration.ofHours(1));
            byte[] payload = "{\"order\":\"0000000000\",\"amount\":1234,\"currency\":\"EUR\",\"note\":\"bench\"}"
                    .getBytes(StandardCharsets.UTF_8);
            JSONB headers = JSONB.valueOf("{\"ce_specversion\":\"1.0\",\"ce_type\":\"" + topic
                    + "\",\"ce_source\":\"/bench\",\"conveyor_attempt\":\"1\",\"content-type\":\"application/json\"}");
            long insertStart = System.nanoTime();
            for (int from = 1; from <= m; from += M1_BATCH) {
                int to = Math.min(m, from + M1_BATCH - 1);
                Table<Record1<Integer>> gs = DSL.generateSeries(from, to).as("gs", "n");
                Field<Integer> n = gs.field("n", Integer.class);
                Field<Instant> dueAt = DSL.field("{0} + {1} * interval '1 millisecond'", SQLDataType.INSTANT,
                        DSL.val(dueBase, SCHEDULED_DELIVERIES.DUE_AT), n);
                db.dsl().insertInto(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT,
                                SCHEDULED_DELIVERIES.TOPIC, SCHEDULED_DELIVERIES.HEADERS, SCHEDULED_DELIVERIES.PAYLOAD,
                                SCHEDULED_DELIVERIES.DUE_AT)
                        .select(DSL.select(DSL.field("gen_random_uuid()", UUID.class), DSL.inline(1), DSL.val(topic),
                                DSL.val(headers), DSL.val(payload), dueAt).from(gs))
                        .execute();
            }
            double insertSeconds = secondsSince(insertStart);
            json.put("insert_seconds", round3(insertSeconds));
            json.put("insert_rows_per_second", m == 0 ? 0 : Math.round(m / insertSeconds));
            json.put("pending_rows", db.dsl().fetchCount(SCHEDULED_DELIVERIES));
            json.put("table_mb", mb(((Number) db.dsl().fetchValue(
                    "select pg_total_relation_size('scheduled_deliveries')")).longValue()));

            long[] scansBefore = tableScans(db, "scheduled_deliveries");
            progress("M1: letting the scheduler run 5 s with " + m + " pending deliveries");
            Thread.sleep(5000);
            long after = heapUsed();
            json.put("heap_after_mb", mb(after));
            json.put("heap_delta_mb", mb(after - baseline));
            json.put("heap_delta_bytes_per_pending", m == 0 ? 0 : round3((double) (after - baseline) / m));
            Thread.sleep(1100); // PostgreSQL publishes table statistics about once a second
            long[] scansAfter = tableScans(db, "scheduled_deliveries");
            json.put("scheduler_window_seq_scans", scansAfter[0] - scansBefore[0]);
            json.put("scheduler_window_index_scans", scansAfter[2] - scansBefore[2]);

            // The scheduler's own two queries against the full table, timed from here.
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(1))) {
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
                json.put("earliest_due_query_p50_ms", round3(earliest[earliest.length / 2] / 1e6));
                json.put("deliver_due_empty_p50_ms", round3(claim[claim.length / 2] / 1e6));
                json.put("delivered_by_probe", delivered);
            }
            json.put("pending_rows_after", db.dsl().fetchCount(SCHEDULED_DELIVERIES));
            json.put("note", "heap figures include the in-JVM broker and clients; the delta is what counts");
        } finally {
            scheduler.close();
        }
        emit(json);
    }

    private static long heapUsed() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        Thread.sleep(500);
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static double mb(long bytes) {
        return round3(bytes / (1024.0 * 1024.0));
    }

    // ---- when delivery rows were inserted (benchmark-only audit trigger) ----------------------------

    private void installInsertAudit() throws SQLException {
        sql("create table bench_delivery_audit (task_id uuid not null, attempt integer not null, "
                + "event text not null, at timestamptz not null default clock_timestamp())",
                "create function bench_note_delivery() returns trigger language plpgsql as $$ begin "
                        + "if tg_op = 'INSERT' then "
                        + "insert into bench_delivery_audit (task_id, attempt, event) values (new.task_id, new.attempt, 'insert'); "
                        + "else "
                        + "insert into bench_delivery_audit (task_id, attempt, event) values (old.task_id, old.attempt, 'delete'); "
                        + "end if; return null; end $$",
                "create trigger bench_note_delivery after insert or delete on scheduled_deliveries for each row "
                        + "execute function bench_note_delivery()");
    }

    private void dropInsertAudit() throws SQLException {
        sql("drop trigger bench_note_delivery on scheduled_deliveries", "drop function bench_note_delivery()");
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /**
     * From the audit trigger: due time minus the time each delivery row (task, attempt) was
     * inserted ({@code known_ahead}: how early the scheduler could know of it), and the time the
     * scheduler deleted it (after Kafka acknowledged the produced record, before its commit) minus
     * the due time ({@code produced_after_due}: the scheduler's share of the lateness).
     */
    private void deliveryAudit(ObjectNode json, String topic, int attempt, Map<UUID, Instant> due) {
        long[] ahead = new long[due.size()];
        long[] produced = new long[due.size()];
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
            } else if ("delete".equals(r.get(1, String.class)) && p < produced.length) {
                produced[p++] = Math.floorDiv(atMicros - dueMicros, 1000L);
            }
        }
        Stats a = Stats.of(Arrays.copyOf(ahead, k));
        json.put("known_ahead_p50_ms", a.p50);
        json.put("known_ahead_min_ms", a.min);
        json.put("inserted_after_due", a.negative);
        Stats s = Stats.of(Arrays.copyOf(produced, p));
        json.put("deleted_after_due_p50_ms", s.p50);
        json.put("deleted_after_due_p99_ms", s.p99);
        json.put("deleted_after_due_max_ms", s.max);
        json.put("deleted_after_due_min_ms", s.min);
        json.put("delivery_rows_inserted", k);
        json.put("delivery_rows_deleted", p);
    }

    // ---- lock contention: PostgreSQL deadlocks and the failures the components log -----------------

    /** Deadlocks PostgreSQL detected in this database so far (pg_stat_database). */
    private long deadlocks() {
        return ((Number) db.dsl().fetchValue(
                "select deadlocks from pg_stat_database where datname = current_database()")).longValue();
    }

    /**
     * Deadlocks, logged failures and lock waits from its creation to {@link #put}. Lock waits are
     * sampled every {@value #SAMPLE_MS} ms from pg_stat_activity (sessions waiting on a heavyweight
     * lock), by statement: samples x interval is roughly the time spent waiting.
     */
    private final class Contention {
        static final int SAMPLE_MS = 20;
        private final long deadlocksBefore = deadlocks();
        private final Map<String, AtomicInteger> lockWaits = new ConcurrentHashMap<>();
        private final AtomicInteger samples = new AtomicInteger();
        private volatile boolean stop;
        private final Thread sampler;

        Contention() {
            logs.reset();
            sampler = Thread.ofPlatform().daemon().name("bench-lock-sampler").start(() -> {
                while (!stop) {
                    try {
                        for (var r : db.dsl().resultQuery("select left(query, 60) from pg_stat_activity "
                                + "where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()")
                                .fetch()) {
                            lockWaits.computeIfAbsent(statement(r.get(0, String.class)), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                        samples.incrementAndGet();
                        Thread.sleep(SAMPLE_MS);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // The pool is busy or closing: skip this sample.
                    }
                }
            });
        }

        /** Who is waiting, named by the statement it runs. */
        private static String statement(String sql) {
            String q = sql == null ? "" : sql.trim().toLowerCase(Locale.ROOT);
            if (q.startsWith("update tasks set status")) {
                return "scheduler: update tasks (requeue rescheduled)";
            } else if (q.startsWith("update tasks set next_run_at")) {
                return "scheduler: update tasks (clear next_run_at)";
            } else if (q.startsWith("insert into tasks")) {
                return "status store: upsert tasks (worker status writer or delayed intake)";
            } else if (q.startsWith("delete from scheduled_deliveries")) {
                return "scheduler: delete scheduled_deliveries";
            }
            return q.length() > 40 ? q.substring(0, 40) : q;
        }

        void put(ObjectNode json) throws InterruptedException {
            stop = true;
            sampler.join(5000);
            Thread.sleep(1100); // PostgreSQL publishes database statistics about once a second
            json.put("lock_wait_samples_every_ms", SAMPLE_MS);
            json.put("lock_wait_samples_taken", samples.get());
            ObjectNode waits = json.putObject("lock_wait_samples_by_statement");
            new TreeMap<>(lockWaits).forEach((k, v) -> waits.put(k, v.get()));
            json.put("pg_deadlocks", deadlocks() - deadlocksBefore);
            json.put("scheduler_cycle_failures", logs.count("scheduler_cycle_failures"));
            json.put("status_write_failures", logs.count("status_write_failures"));
            json.put("intake_store_failures", logs.count("intake_store_failures"));
            ObjectNode victims = json.putObject("deadlock_victims_by_thread");
            logs.deadlockVictims().forEach(victims::put);
        }
    }

    /** Counts the warnings of the scheduler, intake and status writers, and which threads lost a deadlock. */
    private static final class LogCounter extends AppenderBase<ILoggingEvent> {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> victims = new ConcurrentHashMap<>();

        static LogCounter attach() {
            LogCounter counter = new LogCounter();
            var root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            counter.setContext(root.getLoggerContext());
            counter.setName("bench-log-counter");
            counter.start();
            root.addAppender(counter);
            return counter;
        }

        @Override
        protected void append(ILoggingEvent e) {
            if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
                return;
            }
            String logger = e.getLoggerName();
            String message = e.getFormattedMessage();
            if (logger.endsWith(".Scheduler") && message.startsWith("Scheduler cycle failed")) {
                bump(counts, "scheduler_cycle_failures");
            } else if (logger.endsWith(".StatusWriter") && message.contains("failed")) {
                bump(counts, "status_write_failures");
            } else if (logger.endsWith(".DelayedIntake") && message.startsWith("Storing")) {
                bump(counts, "intake_store_failures");
            }
            if (message.contains("deadlock detected")) {
                bump(victims, e.getThreadName());
            }
        }

        private static void bump(Map<String, AtomicInteger> map, String key) {
            map.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }

        int count(String key) {
            AtomicInteger c = counts.get(key);
            return c == null ? 0 : c.get();
        }

        Map<String, Integer> deadlockVictims() {
            Map<String, Integer> out = new TreeMap<>();
            victims.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }

        void reset() {
            counts.clear();
            victims.clear();
        }
    }

    // ---- the recording extension -----------------------------------------------------------------

    @FunctionalInterface
    private interface Handler {
        TaskResult handle(Task task);
    }

    private static final class Recorder implements BackgroundExtension {
        private final Set<String> topics;
        private final String name;
        private final Handler handler;

        Recorder(String topic, String name, Handler handler) {
            this.topics = Set.of(topic);
            this.name = name;
            this.handler = handler;
        }

        @Override
        public Set<String> topics() {
            return topics;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public TaskResult handle(Task task) {
            return handler.handle(task);
        }
    }

    /** First handle() entry time and number of runs of a task. */
    private static final class Run {
        final long firstStartMs;
        int count;

        Run(long firstStartMs) {
            this.firstStartMs = firstStartMs;
        }
    }

    /** Runs per task id; {@link #measured()} counts distinct ids marked as measured. */
    private static final class Runs {
        private final ConcurrentHashMap<UUID, Run> runs = new ConcurrentHashMap<>();
        private final AtomicInteger measured = new AtomicInteger();

        void record(Task task, long startMs, boolean measure) {
            boolean[] isNew = new boolean[1];
            runs.compute(task.id(), (id, r) -> {
                if (r == null) {
                    r = new Run(startMs);
                    isNew[0] = true;
                }
                r.count++;
                return r;
            });
            if (isNew[0] && measure) {
                measured.incrementAndGet();
            }
        }

        boolean ran(UUID id) {
            return runs.containsKey(id);
        }

        Run get(UUID id) {
            return runs.get(id);
        }

        int measured() {
            return measured.get();
        }

        long firstStartMs() {
            return runs.values().stream().mapToLong(r -> r.firstStartMs).min().orElse(0);
        }

        long lastStartMs() {
            return runs.values().stream().mapToLong(r -> r.firstStartMs).max().orElse(0);
        }

        /** Runs beyond the first, over the given ids. */
        long extraRuns(Set<UUID> ids) {
            return runs.entrySet().stream().filter(e -> ids.contains(e.getKey()))
                    .mapToLong(e -> e.getValue().count - 1).sum();
        }
    }

    private record Stats(int samples, long p50, long p95, long p99, long max, long min, long mean, int negative) {

        static Stats of(long[] values) {
            long[] sorted = values.clone();
            Arrays.sort(sorted);
            int negative = 0;
            long sum = 0;
            for (long v : sorted) {
                if (v < 0) {
                    negative++;
                }
                sum += v;
            }
            int k = sorted.length;
            return new Stats(k, percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99),
                    k == 0 ? 0 : sorted[k - 1], k == 0 ? 0 : sorted[0], k == 0 ? 0 : Math.round((double) sum / k),
                    negative);
        }

        void put(ObjectNode json, String prefix, boolean withP95) {
            json.put(prefix + "p50_ms", p50);
            if (withP95) {
                json.put(prefix + "p95_ms", p95);
            }
            json.put(prefix + "p99_ms", p99);
            json.put(prefix + "max_ms", max);
            json.put(prefix + "min_ms", min);
            json.put(prefix + "mean_ms", mean);
            json.put(prefix + "samples", samples);
        }
    }

    /**
     * A plain consumer on a task topic that notes the record timestamp (CreateTime: when the
     * producer's send() was called) of the first record of each task at {@code attempt}, and how
     * many records of that attempt arrived in all (more than one per task: produced twice).
     */
    private final class Tap implements AutoCloseable {
        final Map<UUID, Long> sentMs = new ConcurrentHashMap<>();
        final AtomicLong records = new AtomicLong();
        private final AtomicReference<Throwable> error = new AtomicReference<>();
        private volatile boolean stop;
        private final Thread thread;

        Tap(String topic, int attempt) {
            thread = Thread.ofPlatform().name("bench-tap-" + topic).start(() -> {
                Properties p = new Properties();
                p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-tap-" + topic);
                p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
                    consumer.subscribe(List.of(topic));
                    while (!stop) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            if (codec.decode(r) instanceof Decoded.Ok ok && ok.task().attempt() == attempt) {
                                records.incrementAndGet();
                                sentMs.putIfAbsent(ok.task().id(), r.timestamp());
                            }
                        }
                    }
                } catch (Throwable t) {
                    error.set(t);
                }
            });
        }

        /** Waits up to {@code timeout} until {@code n} tasks were seen. */
        void await(int n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (sentMs.size() < n && System.nanoTime() < deadline && error.get() == null) {
                Thread.sleep(10);
            }
        }

        /** Scheduler's send time minus due time, and handle() entry minus send time, over the tasks of {@code due}. */
        void put(ObjectNode json, Map<UUID, Instant> due, Runs runs) {
            long[] sendLate = new long[due.size()];
            long[] pickup = new long[due.size()];
            int k = 0;
            int q = 0;
            for (Map.Entry<UUID, Instant> e : due.entrySet()) {
                Long sent = sentMs.get(e.getKey());
                if (sent == null) {
                    continue;
                }
                sendLate[k++] = sent - e.getValue().toEpochMilli();
                Run r = runs.get(e.getKey());
                if (r != null) {
                    pickup[q++] = r.firstStartMs - sent;
                }
            }
            Stats send = Stats.of(Arrays.copyOf(sendLate, k));
            json.put("sent_after_due_p50_ms", send.p50);
            json.put("sent_after_due_p99_ms", send.p99);
            json.put("sent_after_due_max_ms", send.max);
            json.put("sent_after_due_min_ms", send.min);
            Stats pick = Stats.of(Arrays.copyOf(pickup, q));
            json.put("send_to_handle_p50_ms", pick.p50);
            json.put("send_to_handle_p99_ms", pick.p99);
            json.put("send_to_handle_max_ms", pick.max);
            json.put("records_produced", records.get());
            if (error.get() != null) {
                json.put("tap_error", error.get().toString());
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    // ---- Kafka, worker and scheduler settings ------------------------------------------------------

    private Worker startWorker(String name, BackgroundExtension extension, RetryPolicy retry)
            throws InterruptedException {
        WorkerConfig config = WorkerConfig.builder(bootstrap)
                .group(name + "-" + runId)
                .node(name + "-worker")
                .topicPrefix(prefix)
                .concurrency(256)
                .ordering(Ordering.KEY)
                .retry(retry)
                .shutdownGrace(Duration.ofSeconds(10))
                .build();
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension)));
        if (!worker.awaitAssignment(Duration.ofSeconds(60))) {
            worker.close();
            throw new IllegalStateException(name + ": the worker got no partitions within 60 s");
        }
        Thread.sleep(300); // let the first poll after assignment fetch the positions
        return worker;
    }

    private Scheduler startScheduler(String name) {
        return Scheduler.start(SchedulerConfig.defaults(bootstrap).withTopicPrefix(prefix)
                        .withGroup(name + "-scheduler-" + runId).withNode(name + "-scheduler"),
                new Scheduler.Collaborators(db, Clock.systemUTC()));
    }

    private Properties producerProperties(int lingerMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        return p;
    }

    private void createTopic(String topic, int partitions) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                var description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(topic);
                if (description.partitions().size() == partitions
                        && description.partitions().stream().allMatch(tp -> tp.leader() != null)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " has no leaders after 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Sequential scans, rows they read, and index scans of {@code table} so far (pg_stat_user_tables). */
    private static long[] tableScans(Database db, String table) {
        var r = db.dsl().fetchOne("select coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), coalesce(idx_scan, 0) "
                + "from pg_stat_user_tables where schemaname = current_schema() and relname = ?", table);
        return r == null ? new long[3]
                : new long[] {((Number) r.get(0)).longValue(), ((Number) r.get(1)).longValue(),
                        ((Number) r.get(2)).longValue()};
    }

    private void fail(ObjectNode json, String error) {
        json.put("error", json.has("error") ? json.get("error").asText() + "; " + error : error);
        failed = true;
    }


    // ---- options ---------------------------------------------------------------------------------

    private record Options(int tasks, int pending, int partitions, int stepTimeoutSeconds) {

        static final String USAGE = """
                usage: bench-scheduler [--tasks N] [--pending M] [--partitions P] [--step-timeout-seconds T]
                  --tasks N               tasks in W2 (future-dated burst) and W3 (reschedule once) (default 10000)
                  --pending M             pending deliveries inserted in M1 (heap) (default 1000000; 0 allowed)
                  --partitions P          partitions of the benchmark topics (default 4)
                  --step-timeout-seconds T  longest W2 or W3 may wait for its tasks (default 120)""";

        static Options parse(String[] args) {
            int tasks = 10_000;
            int pending = 1_000_000;
            int partitions = 4;
            int stepTimeout = 120;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                } else if (arg.equals("-h") || arg.equals("--help")) {
                    throw new IllegalArgumentException("help");
                } else {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    value = args[++i];
                }
                switch (arg) {
                    case "--tasks" -> tasks = positive(arg, value, 1);
                    case "--pending" -> pending = positive(arg, value, 0);
                    case "--partitions" -> partitions = positive(arg, value, 1);
                    case "--step-timeout-seconds" -> stepTimeout = positive(arg, value, 1);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            return new Options(tasks, pending, partitions, stepTimeout);
        }

        private static int positive(String name, String value, int min) {
            try {
                int v = Integer.parseInt(value.trim());
                if (v < min) {
                    throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'");
            }
        }
    }
}
