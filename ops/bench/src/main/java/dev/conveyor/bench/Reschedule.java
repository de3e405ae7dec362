package dev.conveyor.bench;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;

import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.scheduler.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * W3: a worker (reschedule floor lowered to 1 s) and one scheduler; N tasks published, each
 * answering {@code reschedule(1 s)} on its first run and {@code done} on its second. Wall time
 * (first publish until the last {@code done} row) and lateness of the second run against the
 * {@code rescheduled} transition's time + 1 s.
 */
public final class Reschedule implements Workload {

    public static final Duration COUNTDOWN = Duration.ofSeconds(1);
    /** Target: second-run lateness p99 at most this many milliseconds. */
    public static final long TARGET_P99_MS = 100;
    private static final int KEYS = 1024;

    @Override
    public WorkloadId id() {
        return WorkloadId.W3;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        int n = ctx.settings().w3Jobs();
        Line line = new Line(id(), "reschedule once");
        line.put("jobs", n).put("countdown_ms", COUNTDOWN.toMillis()).put("partitions", ctx.settings().partitions());
        try (Infrastructure.Schema schema = ctx.infra().schema("w3", 10, ctx.settings().counters())) {
            measure(ctx, schema.db(), n, line);
        }
        return line;
    }

    private void measure(BenchContext ctx, Database db, int n, Line line) throws Exception {
        String topic = ctx.infra().name("w3");
        String prefix = ctx.prefix("w3");
        ctx.infra().createTopic(topic, ctx.settings().partitions());
        int warmJobs = ctx.settings().schedulerWarmupJobs();
        String warmTopic = ctx.infra().name("w3warm");
        if (warmJobs > 0) {
            ctx.infra().createTopic(warmTopic, ctx.settings().partitions());
        }
        DeliveryAudit audit = DeliveryAudit.install(db);
        Runs first = new Runs();
        Runs second = new Runs();
        Runs warmSecond = new Runs();
        AtomicInteger otherAttempts = new AtomicInteger();
        RecordingExtension extension = new RecordingExtension(warmJobs > 0 ? Set.of(topic, warmTopic) : Set.of(topic),
                "bench-w3", task -> {
            long now = System.currentTimeMillis();
            if (task.topic().equals(warmTopic)) {
                if (task.attempt() == 1) {
                    return TaskResult.reschedule(COUNTDOWN);
                }
                warmSecond.record(task, now, false);
                return TaskResult.done();
            }
            return switch (task.attempt()) {
                case 1 -> {
                    first.record(task, now, true);
                    yield TaskResult.reschedule(COUNTDOWN);
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
        // The reschedule floor lowered to 1 s (the default is 30 s), as in SchedulerIT.
        RetryPolicy retry = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(300),
                Backoff.fixed(Duration.ofMillis(1)));
        line.put("reschedule_floor_ms", retry.rescheduleFloor().toMillis());
        Contention contention = new Contention(db);
        ctx.progress().say("W3: starting worker and scheduler");
        Tap tap = new Tap(ctx.infra(), topic, 2);
        Worker worker = ctx.startWorker(ctx.worker("bench-w3", prefix).retry(retry).build(), db, extension);
        Scheduler scheduler = ctx.startScheduler("w3", prefix, db);
        List<UUID> ids = new ArrayList<>(n);
        long start;
        long end = 0;
        long done = 0;
        try (Publisher publisher = Publisher.connect(ctx.infra().bootstrap(), prefix, Map.of())) {
            publisher.producer().partitionsFor(topic);
            if (warmJobs > 0) {
                ctx.progress().say("W3: warm-up round, " + warmJobs + " tasks that reschedule once (not measured)");
                WarmUpRound.run(ctx, "W3", publisher, db, warmTopic, warmJobs,
                        i -> PublishOptions.builder().key("k" + (i % KEYS)), warmSecond::ran);
            }
            line.put("warmup_jobs", warmJobs);
            ctx.progress().say("W3: publishing " + n + " tasks to " + topic);
            List<CompletableFuture<UUID>> sent = new ArrayList<>(n);
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                UUID id = UUID.randomUUID();
                ids.add(id);
                sent.add(publisher.publish(topic, Payload.json(i), PublishOptions.builder().id(id)
                        .key("k" + (i % KEYS)).build()));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                    .get(ctx.settings().stepTimeoutSeconds(), TimeUnit.SECONDS);
            line.put("enqueue_per_s", Math.round(n / Progress.secondsSince(start)));
            long deadline = start + ctx.stepTimeout().toNanos();
            // Wait on the in-memory counter first; count rows only near the end.
            while (second.measured() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
                if (ctx.progress().due()) {
                    ctx.progress().say("W3: " + first.measured() + " first runs, " + second.measured() + " second runs");
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
            DelayAccuracy.awaitNoPending(db, topic, deadline);
            Thread.sleep(1000); // room for a duplicate record or run to show up
            tap.await(n, Duration.ofSeconds(10));
        } finally {
            tap.close();
            scheduler.close();
            worker.close();
        }
        line.put("first_runs", first.measured()).put("second_runs", second.measured()).put("done_rows", done);
        line.put("first_runs_seconds", (first.lastStartMs() - first.firstStartMs()) / 1000.0);

        // Due time of the second run: the rescheduled transition's time + the countdown.
        Map<UUID, Instant> due = new HashMap<>(n * 2);
        for (var r : transitions(db, topic, null, TaskStatus.RESCHEDULED).entrySet()) {
            due.put(r.getKey(), r.getValue().plus(COUNTDOWN));
        }
        Map<UUID, Instant> redelivered = transitions(db, topic, TaskStatus.RESCHEDULED, TaskStatus.QUEUED);
        line.put("rescheduled_transitions", due.size()).put("redelivered_transitions", redelivered.size());
        long[] lateness = new long[n];
        long[] claimed = new long[n];
        int k = 0;
        int p = 0;
        for (UUID id : ids) {
            Instant d = due.get(id);
            Runs.Run r = second.get(id);
            if (d != null && r != null) {
                lateness[k++] = r.firstStartMs - d.toEpochMilli();
            }
            Instant delivered = redelivered.get(id);
            if (d != null && delivered != null) {
                claimed[p++] = Duration.between(d, delivered).toMillis();
            }
        }
        Latency late = Latency.of(lateness, k);
        line.putMs("late2_", late, true).put("late2_min_ms", late.min()).put("early_count", late.negative());
        // When the scheduler claimed the delivery (the "redelivered" transition's time) against due.
        line.putMs("claim_after_due_", Latency.of(claimed, p), false);
        tap.put(line, due, second);
        audit.put(line, topic, 2, due);
        if (end > 0) {
            line.put("wall_s", (end - start) / 1e9);
        }
        line.put("duplicate_runs", first.extraRuns(Set.copyOf(ids)) + second.extraRuns(Set.copyOf(ids)))
                .put("other_attempts", otherAttempts.get())
                .put("worker_dropped_duplicates", Math.round(worker.metrics().duplicates()))
                .put("pending_left", db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic)));
        BenchContext.putStateReads(line, worker);
        contention.put(line);
        line.target("late2_p99_ms <= " + TARGET_P99_MS, done >= n && late.p99() <= TARGET_P99_MS);
        if (done < n) {
            line.fail("only " + done + " of " + n + " tasks done within " + ctx.settings().stepTimeoutSeconds() + " s");
        }
        if (late.negative() > 0) {
            line.fail(late.negative() + " second run(s) started before their due time");
        }
    }

    /** The earliest transition into {@code to} (from {@code from}, or any) per task of {@code topic}. */
    private static Map<UUID, Instant> transitions(Database db, String topic, TaskStatus from, TaskStatus to) {
        Map<UUID, Instant> at = new HashMap<>();
        var query = db.dsl().select(TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.AT).from(TASK_TRANSITIONS)
                .join(TASKS).on(TASKS.ID.eq(TASK_TRANSITIONS.TASK_ID))
                .where(TASKS.TOPIC.eq(topic)).and(TASK_TRANSITIONS.TO_STATUS.eq(to));
        if (from != null) {
            query = query.and(TASK_TRANSITIONS.FROM_STATUS.eq(from));
        }
        for (var r : query.fetch()) {
            at.merge(r.value1(), r.value2(), (a, b) -> a.isBefore(b) ? a : b);
        }
        return at;
    }
}
