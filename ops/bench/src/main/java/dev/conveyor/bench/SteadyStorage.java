package dev.conveyor.bench;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.retention.Pruner;
import dev.conveyor.worker.retention.RetentionConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * M2: N tasks at a steady rate through a worker twice, each run on its own topic and schema: once
 * as today's default deployment without pruning, once with the retention pruner running and every
 * finished status kept {@link #RETENTION}. Every {@link #SAMPLE_EVERY} both runs sample the size of
 * {@code tasks} + {@code task_transitions} (heap, indexes, TOAST). The pruned run's size must stay
 * flat once settled ({@link #SETTLED_AFTER}: it grows by at most {@value #MAX_SETTLED_GROWTH} of itself
 * from then on) and its throughput be at least {@value #TARGET_RATIO} of the plain run's. A run
 * shorter than 4 minutes plus three samples cannot show it and misses the target. The plain run comes first, so the pruned one has the warmer JIT: the ratio favours
 * pruning slightly, which the alternation of whole bench runs is there to show.
 */
public final class SteadyStorage implements Workload {

    /** Target: throughput with pruning at least this share of the run without. */
    public static final double TARGET_RATIO = 0.9;
    /** Target: once settled ({@link #SETTLED_AFTER}) the pruned run's size grows by at most this share. */
    public static final double MAX_SETTLED_GROWTH = 0.1;
    /**
     * When the size can have stopped growing: task rows are deleted once finished {@link #RETENTION}
     * ago, by the next pass (up to {@link Pruner#INTERVAL} later), and their space is reused once
     * autovacuum has been through the table (its default naptime is another minute); a one-minute
     * history partition is dropped once it ended {@link #RETENTION} and another minute ago, so the
     * first goes about 3.5 minutes into the run.
     */
    static final Duration SETTLED_AFTER = Duration.ofMinutes(4);
    static final Duration RETENTION = Duration.ofMinutes(1);
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final int KEYS = 1024;

    private final TaskRecordCodec codec = new TaskRecordCodec();

    @Override
    public WorkloadId id() {
        return WorkloadId.M2;
    }

    /** What one run measured. */
    private record Run(double donePerSecond, List<Double> storageMb, long pruned) {}

    @Override
    public Line run(BenchContext ctx) throws Exception {
        BenchSettings s = ctx.settings();
        Line line = new Line(id(), "steady storage with retention");
        line.put("tasks", s.m2Tasks()).put("rate", s.m2Rate()).put("retention_s", RETENTION.toSeconds())
                .put("prune_every_s", Pruner.INTERVAL.toSeconds()).put("sample_every_s", SAMPLE_EVERY.toSeconds())
                .put("mode", "sequential: without pruning, then with it, each on its own topic and schema");
        Run plain = run(ctx, "m2_plain", false);
        Run pruned = run(ctx, "m2_pruned", true);
        line.put("plain_done_per_s", Math.round(plain.donePerSecond()))
                .put("pruned_done_per_s", Math.round(pruned.donePerSecond()))
                .put("ratio_plain", Line.ratio(pruned.donePerSecond(), plain.donePerSecond()))
                .put("plain_storage_mb", plain.storageMb().toString())
                .put("pruned_storage_mb", pruned.storageMb().toString())
                .put("plain_storage_mb_last", last(plain.storageMb()))
                .put("pruned_storage_mb_last", last(pruned.storageMb()))
                .put("pruned_tasks_deleted", pruned.pruned());
        Double growth = settledGrowth(pruned.storageMb());
        line.put("settled_after_s", SETTLED_AFTER.toSeconds())
                .putOrNull("pruned_settled_growth", growth)
                .putOrNull("plain_settled_growth", settledGrowth(plain.storageMb()));
        double ratio = Line.ratio(pruned.donePerSecond(), plain.donePerSecond());
        line.target("pruned_done_per_s >= " + TARGET_RATIO + " x plain_done_per_s and the pruned size grows <= "
                + MAX_SETTLED_GROWTH + " after " + SETTLED_AFTER.toSeconds() + " s",
                ratio >= TARGET_RATIO && growth != null && growth <= MAX_SETTLED_GROWTH);
        return line;
    }

    private static double last(List<Double> samples) {
        return samples.isEmpty() ? 0 : samples.getLast();
    }

    /**
     * (max − first) / first over the samples taken from {@link #SETTLED_AFTER} on (sample i is taken
     * i × {@link #SAMPLE_EVERY} after the start); null when fewer than 3 were taken by then.
     */
    static Double settledGrowth(List<Double> samples) {
        int from = (int) (SETTLED_AFTER.toSeconds() / SAMPLE_EVERY.toSeconds());
        if (samples.size() < from + 3) {
            return null;
        }
        List<Double> settled = samples.subList(from, samples.size());
        double first = settled.getFirst();
        double max = settled.stream().mapToDouble(Double::doubleValue).max().orElse(first);
        return first <= 0 ? null : Line.round3((max - first) / first);
    }

    private Run run(BenchContext ctx, String name, boolean prune) throws Exception {
        BenchSettings s = ctx.settings();
        int n = s.m2Tasks();
        try (Infrastructure.Schema schema = ctx.infra().schema(name, 8, s.counters())) {
            String topic = ctx.infra().name(name);
            ctx.infra().createTopic(topic, s.partitions());
            AtomicLong handled = new AtomicLong();
            RecordingExtension extension = new RecordingExtension(topic, "bench-m2", task -> {
                handled.incrementAndGet();
                return TaskResult.done();
            });
            Worker worker = ctx.startWorker(ctx.worker(name, ctx.prefix(name)).build(), schema.db(), extension);
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            Pruner pruner = prune ? Pruner.start(retention(), schema.db().dsl(), Clock.systemUTC(), meters) : null;
            List<Double> samples = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread sampler = Thread.ofPlatform().name("bench-m2-sampler").start(() -> sample(schema.db(), samples, stop));
            try {
                ctx.progress().say(name + ": " + n + " tasks at " + s.m2Rate() + "/s" + (prune
                        ? ", pruning what finished " + RETENTION.toSeconds() + " s ago" : ", no pruning"));
                long start = System.nanoTime();
                produce(ctx, topic, n, s.m2Rate());
                long deadline = start + Duration.ofSeconds(n / s.m2Rate()).toNanos() + ctx.stepTimeout().toNanos();
                while (handled.get() < n) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(name + ": only " + handled.get() + " of " + n + " tasks ran in time");
                    }
                    Thread.sleep(20);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                ctx.progress().say(name + ": " + n + " done in " + Line.round3(seconds) + " s; storage (MB) " + samples);
                double pruned = meters.find("conveyor.pruner.deleted").tag("table", "tasks").counter() == null ? 0
                        : meters.find("conveyor.pruner.deleted").tag("table", "tasks").counter().count();
                return new Run(n / seconds, List.copyOf(samples), Math.round(pruned));
            } finally {
                stop.set(true);
                sampler.join(15_000);
                if (pruner != null) {
                    pruner.close();
                }
                worker.close();
            }
        }
    }

    private static RetentionConfig retention() {
        Map<TaskStatus, Duration> ages = new EnumMap<>(TaskStatus.class);
        RetentionConfig.DEFAULTS.ages().keySet().forEach(status -> ages.put(status, RETENTION));
        // History partitions of one minute, so that a whole one can go within the run as with days in production.
        return new RetentionConfig(ages, Map.of(), RETENTION, RETENTION, Duration.ofMinutes(1));
    }

    /** Every SAMPLE_EVERY until stopped: MB of tasks + task_transitions, heap, indexes and TOAST. */
    private static void sample(Database db, List<Double> samples, AtomicBoolean stop) {
        long next = System.nanoTime();
        while (!stop.get()) {
            if (System.nanoTime() >= next) {
                long bytes = ((Number) db.dsl().fetchValue("select pg_total_relation_size('tasks') + "
                        + "(select sum(pg_total_relation_size(relid)) from pg_partition_tree('task_transitions'))")).longValue();
                synchronized (samples) {
                    samples.add(Line.round3(bytes / 1048576.0));
                }
                next += SAMPLE_EVERY.toNanos();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sends {@code n} tasks paced at {@code rate} per second (in 10 ms steps). */
    private void produce(BenchContext ctx, String topic, int n, int rate) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ctx.infra().producerProperties(5))) {
            long start = System.nanoTime();
            int sent = 0;
            while (sent < n) {
                long due = Math.min(n, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
                for (; sent < due; sent++) {
                    producer.send(codec.encode(Task.builder().topic(topic).payload(Payload.json(sent), "application/json")
                            .key("k" + (sent % KEYS)).build()));
                }
                Thread.sleep(10);
            }
            producer.flush();
        }
    }
}
