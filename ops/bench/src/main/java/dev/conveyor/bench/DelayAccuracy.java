package dev.conveyor.bench;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;

import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.scheduler.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * W2: a worker and one scheduler; N tasks published with the Java publisher, each due 2 s after
 * its own publish; lateness of each task's first handle() entry against its due time. Also
 * reports where lateness comes from: when the delivery rows were known ({@link DeliveryAudit}),
 * the scheduler's send against due and the worker's share ({@link Tap}), and lock contention.
 */
public final class DelayAccuracy implements Workload {

    public static final Duration DELAY = Duration.ofSeconds(2);
    /** Target: lateness p99 at most this many milliseconds. */
    public static final long TARGET_P99_MS = 100;
    private static final int KEYS = 1024;

    @Override
    public WorkloadId id() {
        return WorkloadId.W2;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        int n = ctx.settings().w2Jobs();
        Line line = new Line(id(), "delay accuracy");
        line.put("jobs", n).put("delay_ms", DELAY.toMillis()).put("partitions", ctx.settings().partitions());
        try (Infrastructure.Schema schema = ctx.infra().schema("w2", 10, ctx.settings().counters())) {
            measure(ctx, schema.db(), n, line);
        }
        return line;
    }

    private void measure(BenchContext ctx, Database db, int n, Line line) throws Exception {
        String topic = ctx.infra().name("w2");
        String prefix = ctx.prefix("w2");
        ctx.infra().createTopic(topic, ctx.settings().partitions());
        int warmJobs = ctx.settings().schedulerWarmupJobs();
        String warmTopic = ctx.infra().name("w2warm");
        if (warmJobs > 0) {
            ctx.infra().createTopic(warmTopic, ctx.settings().partitions());
        }
        DeliveryAudit audit = DeliveryAudit.install(db);
        Map<UUID, Instant> due = new ConcurrentHashMap<>(n * 2);
        Runs runs = new Runs();
        RecordingExtension extension = new RecordingExtension(warmJobs > 0 ? Set.of(topic, warmTopic) : Set.of(topic),
                "bench-w2", task -> {
            runs.record(task, System.currentTimeMillis(), due.containsKey(task.id()));
            return TaskResult.done();
        });
        Contention contention = new Contention(db);
        ctx.progress().say("W2: starting worker and scheduler");
        Tap tap = new Tap(ctx.infra(), topic, 1);
        Worker worker = ctx.startWorker(ctx.worker("bench-w2", prefix).build(), db, extension);
        Scheduler scheduler = ctx.startScheduler("w2", prefix, db);
        try (tap; Publisher publisher = Publisher.connect(ctx.infra().bootstrap(), prefix, Map.of())) {
            publisher.producer().partitionsFor(prefix + "delayed");
            publisher.producer().partitionsFor(topic);

            // Warm-up, outside the figures: one future-dated task through the whole path, so the
            // intake's consumer has joined its group and every client has its metadata.
            long warmStart = System.nanoTime();
            UUID warm = UUID.randomUUID();
            publisher.publish(topic, "{\"warmup\":true}", PublishOptions.builder().id(warm)
                    .scheduleAt(Instant.now().plusMillis(500)).build()).get(30, TimeUnit.SECONDS);
            long warmDeadline = warmStart + TimeUnit.SECONDS.toNanos(60);
            while (!runs.ran(warm) && System.nanoTime() < warmDeadline) {
                Thread.sleep(10);
            }
            if (!runs.ran(warm)) {
                throw new IllegalStateException("W2: the warm-up future-dated task did not run within 60 s");
            }
            if (warmJobs > 0) {
                ctx.progress().say("W2: warm-up round, " + warmJobs + " future-dated tasks (not measured)");
                WarmUpRound.run(ctx, "W2", publisher, db, warmTopic, warmJobs,
                        i -> PublishOptions.builder().key("k" + (i % KEYS)).scheduleAt(Instant.now().plus(DELAY)),
                        runs::ran);
            }
            line.put("warmup_jobs", warmJobs).put("warmup_seconds", Progress.secondsSince(warmStart));

            ctx.progress().say("W2: publishing " + n + " tasks, each due " + DELAY.toMillis() + " ms after its publish");
            List<CompletableFuture<UUID>> sent = new ArrayList<>(n);
            long firstSendMs = System.currentTimeMillis();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                UUID id = UUID.randomUUID();
                Instant dueAt = Instant.now().plus(DELAY);
                due.put(id, dueAt);
                sent.add(publisher.publish(topic, Payload.json(i), PublishOptions.builder().id(id)
                        .key("k" + (i % KEYS)).scheduleAt(dueAt).build()));
            }
            long lastPublishMs = System.currentTimeMillis();
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                    .get(ctx.settings().stepTimeoutSeconds(), TimeUnit.SECONDS);
            line.put("enqueue_per_s", Math.round(n / Progress.secondsSince(start)));

            long deadline = start + DELAY.toNanos() + ctx.stepTimeout().toNanos();
            while (runs.measured() < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
                if (ctx.progress().due()) {
                    ctx.progress().say("W2: " + runs.measured() + " of " + n + " ran");
                }
            }
            awaitNoPending(db, topic, deadline);
            Thread.sleep(1000); // room for a duplicate record or run to show up

            long[] lateness = new long[n];
            int k = 0;
            long lastStartMs = 0;
            for (Map.Entry<UUID, Instant> e : due.entrySet()) {
                Runs.Run r = runs.get(e.getKey());
                if (r != null) {
                    lateness[k++] = r.firstStartMs - e.getValue().toEpochMilli();
                    lastStartMs = Math.max(lastStartMs, r.firstStartMs);
                }
            }
            Latency late = Latency.of(lateness, k);
            line.putMs("late_", late, true).put("late_min_ms", late.min()).put("ran", k)
                    .put("early_count", late.negative());
            line.put("wall_s", (lastStartMs - firstSendMs) / 1000.0)
                    .put("ideal_wall_s", (lastPublishMs + DELAY.toMillis() - firstSendMs) / 1000.0);
            line.put("duplicate_runs", runs.extraRuns(due.keySet()))
                    .put("worker_dropped_duplicates", Math.round(worker.metrics().duplicates()));
            BenchContext.putStateReads(line, worker);
            tap.await(n + 1, Duration.ofSeconds(10)); // and the warm-up task (the warm-up round has a topic of its own)
            tap.put(line, due, runs);
            audit.put(line, topic, 1, due);
            line.target("late_p99_ms <= " + TARGET_P99_MS, k == n && late.p99() <= TARGET_P99_MS);
            if (k < n) {
                line.fail("only " + k + " of " + n + " future-dated tasks ran within "
                        + (DELAY.toSeconds() + ctx.settings().stepTimeoutSeconds()) + " s");
            }
            if (late.negative() > 0) {
                line.fail(late.negative() + " task(s) ran before their due time");
            }
        } finally {
            scheduler.close();
            worker.close();
        }
        line.put("done_rows", db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.STATUS.eq(TaskStatus.DONE))));
        line.put("pending_left", db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)));
        contention.put(line);
    }

    /**
     * Waits until the scheduler has no delivery row left for {@code topic}: a delivery transaction
     * that was rolled back (its records already produced and run) is produced again later, and the
     * figures should include that.
     */
    static void awaitNoPending(Database db, String topic, long deadline) throws InterruptedException {
        while (db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)) > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }
}
