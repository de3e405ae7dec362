package dev.conveyor.bench;

import static dev.conveyor.store.db.jooq.Tables.TASKS;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.db.Database;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;

/**
 * W4: tasks produced at a steady rate for S seconds; delay from send to the moment the extension
 * is called, against the delay from send to a plain consumer's poll returning the same kind of
 * record (with the worker's client settings). The plain consumer runs first, then the worker,
 * each on its own topic, so they do not compete for the cores. The worker's status tables are
 * warmed and analyzed first, as autovacuum would have them in a running installation.
 */
public final class PickupLatency implements Workload {

    /** Target: pickup p99 at most the plain consumer's p99 plus this many milliseconds. */
    public static final double TARGET_DELTA_MS = 2;
    private static final String SEQ_HEADER = "bench_seq";
    private static final int KEYS = 1024;
    private static final Duration POLL = Duration.ofMillis(50);

    private final TaskRecordCodec codec = new TaskRecordCodec();

    @Override
    public WorkloadId id() {
        return WorkloadId.W4;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        BenchSettings s = ctx.settings();
        int n = (int) Math.max(1, (long) s.w4Rate() * s.w4Seconds());
        Line line = new Line(id(), "pickup latency");
        line.put("jobs", n).put("rate", s.w4Rate()).put("seconds", s.w4Seconds()).put("partitions", s.partitions())
                .put("ordering", s.ordering().name().toLowerCase(Locale.ROOT))
                .put("producer", "acks=all idempotence=true linger.ms=0")
                .put("mode", "sequential: plain consumer first, then the worker, each on its own topic");
        try (Infrastructure.Schema schema = ctx.infra().schema("w4", 8, s.counters())) {
            Latency raw = rawConsumer(ctx, n, line);
            Latency worker = worker(ctx, schema.db(), n, line);
            line.putNanosAsMs("raw_pickup_", raw).putNanosAsMs("pickup_", worker);
            double p99 = Latency.ms(worker.p99());
            double rawP99 = Latency.ms(raw.p99());
            line.put("p99_delta_ms", p99 - rawP99);
            line.target("pickup_p99_ms <= raw_pickup_p99_ms + " + TARGET_DELTA_MS,
                    worker.samples() == n && p99 <= rawP99 + TARGET_DELTA_MS);
            if (raw.samples() < n || worker.samples() < n) {
                line.fail("not every task was seen: the plain consumer missed " + (n - raw.samples())
                        + ", the worker missed " + (n - worker.samples()));
            }
        }
        return line;
    }

    /** A plain consumer that notes when poll returned each record. */
    private Latency rawConsumer(BenchContext ctx, int n, Line line) throws Exception {
        String topic = ctx.infra().name("w4_raw");
        ctx.infra().createTopic(topic, ctx.settings().partitions());
        long[] sent = new long[n];
        long[] seen = new long[n];
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean assigned = new AtomicBoolean();
        AtomicInteger count = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread consumer = Thread.ofPlatform().name("bench-raw-latency").start(() -> {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                    ctx.infra().consumerProperties(ctx.infra().name("w4_raw")))) {
                c.subscribe(List.of(topic));
                while (!stop.get()) {
                    ConsumerRecords<byte[], byte[]> batch = c.poll(POLL);
                    if (!assigned.get() && !c.assignment().isEmpty()) {
                        c.assignment().forEach(c::position); // positions fixed before producing
                        assigned.set(true);
                    }
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        long now = System.nanoTime();
                        int seq = seq(r.headers().lastHeader(SEQ_HEADER));
                        if (seq >= 0 && seq < n && seen[seq] == 0) {
                            seen[seq] = now;
                            count.incrementAndGet();
                        }
                    }
                    if (!batch.isEmpty()) {
                        c.commitAsync();
                    }
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        try {
            awaitTrue(assigned, Duration.ofSeconds(60), "the plain consumer got no partitions");
            Thread.sleep(300); // let the first poll after assignment fetch the positions
            ctx.progress().say("W4: plain consumer, " + n + " tasks at " + ctx.settings().w4Rate() + "/s");
            line.put("raw_achieved_rate", Math.round(produceSteady(ctx, topic, n, sent)));
            awaitCount(count, n, Duration.ofSeconds(30));
        } finally {
            stop.set(true);
            consumer.join(10_000);
        }
        if (error.get() != null) {
            throw new IllegalStateException("the plain latency consumer failed", error.get());
        }
        return delays(sent, seen);
    }

    /** The worker, its extension noting when handle() was called for each task. */
    private Latency worker(BenchContext ctx, Database db, int n, Line line) throws Exception {
        String topic = ctx.infra().name("w4");
        ctx.infra().createTopic(topic, ctx.settings().partitions());
        long[] sent = new long[n];
        long[] seen = new long[n];
        AtomicInteger count = new AtomicInteger();
        AtomicInteger warm = new AtomicInteger();
        RecordingExtension extension = new RecordingExtension(topic, "bench-w4", task -> {
            long now = System.nanoTime();
            String header = task.header(SEQ_HEADER);
            int seq = header == null ? -1 : Integer.parseInt(header);
            if (seq >= 0 && seq < n && seen[seq] == 0) {
                seen[seq] = now;
                count.incrementAndGet();
            } else if (seq < 0) {
                warm.incrementAndGet();
            }
            return TaskResult.done();
        });
        Worker worker = ctx.startWorker(ctx.worker("bench-w4", ctx.prefix("w4")).build(), db, extension);
        try {
            // Warm-up: the worker's path compiled and its status tables holding rows, vacuumed and
            // analyzed. (Fresh, never-analyzed tables make PostgreSQL scan the whole tasks table on
            // each poll's status read until autovacuum first analyzes it: not what W4 measures.)
            int warmup = Math.max(1000, Math.min(20_000, n));
            ctx.progress().say("W4: warming the worker with " + warmup + " tasks (not measured)");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ctx.infra().producerProperties(5))) {
                for (int i = 0; i < warmup; i++) {
                    producer.send(codec.encode(Task.builder().topic(topic).payload(Payload.json(i), "application/json")
                            .key("k" + (i % KEYS)).header(SEQ_HEADER, "-1").build()));
                }
            }
            awaitCount(warm, warmup, Duration.ofSeconds(60));
            Thread.sleep(1000);
            db.dsl().execute("vacuum analyze tasks");
            db.dsl().execute("vacuum analyze task_transitions");
            line.put("status_rows_before", db.dsl().fetchCount(TASKS)).put("warmup_jobs", warmup);
            ctx.progress().say("W4: worker, " + n + " tasks at " + ctx.settings().w4Rate() + "/s");
            line.put("worker_achieved_rate", Math.round(produceSteady(ctx, topic, n, sent)));
            awaitCount(count, n, Duration.ofSeconds(30));
        } finally {
            worker.close();
        }
        return delays(sent, seen);
    }

    /**
     * Sends {@code n} tasks on a fixed schedule (task i due at start + i/rate), noting each send
     * time; answers the send rate achieved.
     */
    private double produceSteady(BenchContext ctx, String topic, int n, long[] sent) throws Exception {
        AtomicLong errors = new AtomicLong();
        long interval = 1_000_000_000L / ctx.settings().w4Rate();
        long start;
        long last;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ctx.infra().producerProperties(0))) {
            producer.partitionsFor(topic); // metadata outside the measurement
            start = System.nanoTime();
            last = start;
            for (int i = 0; i < n; i++) {
                long due = start + i * interval;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                Task task = Task.builder().topic(topic).payload(Payload.json(i), "application/json")
                        .key("k" + (i % KEYS)).header(SEQ_HEADER, Integer.toString(i)).build();
                var record = codec.encode(task);
                sent[i] = System.nanoTime();
                producer.send(record, (md, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                    }
                });
                last = System.nanoTime();
            }
            producer.flush();
        }
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " sends failed");
        }
        return n <= 1 ? n : (n - 1) / ((last - start) / 1e9);
    }

    /** Delays (ns) from send to seen, over the tasks seen. */
    private static Latency delays(long[] sent, long[] seen) {
        long[] d = new long[sent.length];
        int k = 0;
        for (int i = 0; i < sent.length; i++) {
            if (seen[i] != 0 && sent[i] != 0) {
                d[k++] = seen[i] - sent[i];
            }
        }
        return Latency.of(d, k);
    }

    private static int seq(Header header) {
        if (header == null || header.value() == null) {
            return -1;
        }
        try {
            return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void awaitTrue(AtomicBoolean flag, Duration timeout, String message) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!flag.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(message + " within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(10);
        }
    }

    private static void awaitCount(AtomicInteger count, int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
