package dev.conveyor.bench;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_COUNTS;

import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusModes;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * W1: N tasks published as fast as the Java {@link Publisher} allows while a worker runs; publish/s
 * and end-to-end tasks/s (first publish until the last {@code done} row is committed). Compared in
 * the same run with the same records through a plain producer and consumer (raw Kafka), and with
 * the same status rows written by a multi-row {@code unnest} upsert on one connection (raw
 * PostgreSQL). A warm-up drain through a worker comes first, so the JIT has compiled the path.
 * Then the worker issue's shape: N tasks preloaded with nobody consuming, read by a plain consumer
 * ({@code raw_consume_per_s}) and drained by a worker started afterwards ({@code drain_per_s},
 * {@code ratio_raw_consume}). A recorder runs beside every worker, as in a deployment (see {@link RecorderRun}).
 * Last, the publish-while-a-worker-runs phase again on a lean topic ({@code worker.status: lean}:
 * no row for a first-run success; {@code lean_e2e_per_s}, {@code ratio_lean_raw_kafka}).
 */
public final class Throughput implements Workload {

    /** Target: end-to-end at least this share of raw Kafka produce→consume. */
    public static final double TARGET_RATIO = 0.3;
    /** Target of the lean topic: end-to-end at least this share of raw Kafka produce→consume. */
    public static final double LEAN_TARGET_RATIO = 0.7;
    private static final int KEYS = 1024;
    private static final int UPSERT_BATCH = 500;
    private static final Duration POLL = Duration.ofMillis(50);

    private final TaskRecordCodec codec = new TaskRecordCodec();

    @Override
    public WorkloadId id() {
        return WorkloadId.W1;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        BenchSettings s = ctx.settings();
        Line line = new Line(id(), "throughput");
        int n = s.w1Jobs();
        line.put("jobs", n).put("partitions", s.partitions())
                .put("ordering", s.ordering().name().toLowerCase(Locale.ROOT))
                .put("status_writers", s.statusWriters()).put("max_in_flight", s.maxInFlight())
                .put("concurrency", BenchContext.WORKER_CONCURRENCY).put("task_counts_triggers", s.counters())
                .put("payload_bytes", Payload.bytes(0).length).put("warmup_jobs", s.w1WarmupJobs());

        if (s.w1WarmupJobs() > 0) {
            try (Infrastructure.Schema schema = ctx.infra().schema("w1_warmup", 8, s.counters())) {
                String topic = ctx.infra().name("w1_warmup");
                ctx.infra().createTopic(topic, s.partitions());
                ctx.progress().say("W1: warm-up, " + s.w1WarmupJobs() + " tasks through a worker (not measured)");
                Drain warm = drain(ctx, topic, s.w1WarmupJobs(), schema.db(), "w1-warmup", null, StatusModes.FULL);
                line.put("warmup_seconds", warm.seconds);
            }
        }

        double[] raw = rawKafka(ctx, n);
        line.put("raw_kafka_produce_per_s", Math.round(raw[0])).put("raw_kafka_per_s", Math.round(raw[1]));

        double upsert = rawUpsert(ctx, n);
        line.put("raw_upsert_rows_per_s", Math.round(upsert)).put("raw_upsert_batch", UPSERT_BATCH);

        boolean e2eMet = false;
        boolean drainMet = false;
        try (Infrastructure.Schema schema = ctx.infra().schema("w1", 8, s.counters())) {
            String topic = ctx.infra().name("w1");
            ctx.infra().createTopic(topic, s.partitions());
            ctx.progress().say("W1: publishing " + n + " tasks with the Java publisher while a worker runs");
            Drain d = drain(ctx, topic, n, schema.db(), "w1", line, StatusModes.FULL);
            line.put("enqueue_per_s", Math.round(n / d.publishSeconds)).put("e2e_per_s", Math.round(d.perSecond()))
                    .put("wall_s", d.seconds).put("done", d.done).put("duplicates", d.duplicates);
            if (d.statusBatches > 0) {
                line.put("status_batches", d.statusBatches).put("status_batch_mean_ms", d.statusBatchMeanMs);
            }
            line.put("ratio_raw_kafka", Line.ratio(d.perSecond(), raw[1]));
            line.put("ratio_raw_upsert", Line.ratio(d.perSecond(), upsert));
            e2eMet = d.done >= n && d.perSecond() >= TARGET_RATIO * raw[1];
            if (d.done < n) {
                line.fail("timed out after " + s.stepTimeoutSeconds() + " s with " + d.done + " of " + n
                        + " tasks done");
            }
        }

        // The worker issue's own shape: the same number of tasks preloaded, then drained by a worker
        // started afterwards, against a plain consumer reading the same preloaded records.
        try (Infrastructure.Schema schema = ctx.infra().schema("w1_drain", 8, s.counters())) {
            String topic = ctx.infra().name("w1_drain");
            ctx.infra().createTopic(topic, s.partitions());
            ctx.progress().say("W1: preloading " + n + " tasks, then a plain consumer and a worker drain them");
            Drain d = preloadDrain(ctx, topic, n, schema.db(), "w1-drain", line);
            line.put("drain_per_s", Math.round(d.perSecond())).put("drain_done", d.done)
                    .put("ratio_drain_raw_kafka", Line.ratio(d.perSecond(), raw[1]))
                    .put("ratio_raw_consume", Line.ratio(d.perSecond(), line.json().path("raw_consume_per_s").asDouble()));
            drainMet = d.done >= n && d.perSecond() >= TARGET_RATIO * raw[1];
            if (d.done < n) {
                line.fail("preloaded drain timed out after " + s.stepTimeoutSeconds() + " s with " + d.done + " of "
                        + n + " tasks done");
            }
        }
        boolean leanMet = false;
        try (Infrastructure.Schema schema = ctx.infra().schema("w1_lean", 8, s.counters())) {
            String topic = ctx.infra().name("w1_lean");
            ctx.infra().createTopic(topic, s.partitions());
            ctx.progress().say("W1: publishing " + n + " tasks to a lean topic while a worker runs");
            Drain d = drain(ctx, topic, n, schema.db(), "w1-lean", null, new StatusModes(true, Map.of()));
            line.put("lean_e2e_per_s", Math.round(d.perSecond())).put("lean_done", d.done)
                    .put("ratio_lean_raw_kafka", Line.ratio(d.perSecond(), raw[1]));
            leanMet = d.done >= n && d.perSecond() >= LEAN_TARGET_RATIO * raw[1];
            if (d.done < n) {
                line.fail("lean drain timed out after " + s.stepTimeoutSeconds() + " s with " + d.done + " of " + n
                        + " tasks done");
            }
        }
        // The worker issue's figure is the preloaded drain against raw produce→consume; publishing
        // while the worker runs is the same comparison with the publisher in the measurement too.
        line.target("e2e_per_s and drain_per_s >= " + TARGET_RATIO + " x raw_kafka_per_s, lean_e2e_per_s >= "
                + LEAN_TARGET_RATIO + " x", e2eMet && drainMet && leanMet);
        return line;
    }

    /**
     * Publishes {@code n} tasks with nobody consuming, measures a plain consumer reading them all
     * ({@code raw_consume_per_s} on {@code line}), then starts a worker and measures its drain from
     * the first task handled until the last {@code done} row is committed.
     */
    private Drain preloadDrain(BenchContext ctx, String topic, int n, Database db, String name, Line line)
            throws Exception {
        String prefix = ctx.prefix(name);
        try (Publisher publisher = Publisher.connect(ctx.infra().bootstrap(), prefix, Map.of())) {
            List<CompletableFuture<UUID>> sent = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                sent.add(publisher.publish(topic, Payload.json(i),
                        PublishOptions.builder().key("k" + (i % KEYS)).build()));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(ctx.settings().stepTimeoutSeconds(),
                    TimeUnit.SECONDS);
        }
        line.put("raw_consume_per_s", Math.round(rawConsume(ctx, topic, n)));

        AtomicLong handled = new AtomicLong();
        AtomicLong firstAt = new AtomicLong();
        RecordingExtension extension = new RecordingExtension(topic, "bench-noop", task -> {
            if (handled.getAndIncrement() == 0) {
                firstAt.set(System.nanoTime());
            }
            return TaskResult.done();
        });
        WorkerConfig config = ctx.worker(name, prefix).build();
        RecorderRun recorder = RecorderRun.start(ctx, topic, db, name);
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension),
                new SimpleMeterRegistry(), Clock.systemUTC()));
        try (recorder) {
            long deadline = System.nanoTime() + ctx.stepTimeout().toNanos();
            Done reached = awaitDone(ctx, db, topic, n, handled, deadline, name);
            long done = reached.rows();
            double seconds = firstAt.get() == 0 ? 0 : (reached.reachedNanos() - firstAt.get()) / 1e9;
            ctx.progress().say(name + ": " + done + " done in " + Line.round3(seconds) + " s");
            return new Drain(0, Line.round3(seconds), done, Math.round(worker.metrics().duplicates()), 0, 0);
        } finally {
            worker.close();
        }
    }

    /** When the last of a drain's {@code done} rows was seen ({@code System.nanoTime()}), and how many there are. */
    private record Done(long reachedNanos, long rows) {}

    /**
     * Waits until {@code n} tasks of {@code topic} have a {@code done} row (or the deadline passes).
     * The in-memory counter is free to read, so it is waited on first; then the exact counters of
     * {@code task_counts} (kept in the writers' own transactions, one small read each time) rather
     * than a {@code count(*)} over the growing table, which took ~50 ms of the database per look
     * while the last batches were being written. The rows are then counted once, after the clock
     * stopped, so the figure reported is the table's.
     */
    private static Done awaitDone(BenchContext ctx, Database db, String topic, int n, AtomicLong handled,
            long deadline, String name) throws InterruptedException {
        while (handled.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
            if (ctx.progress().due()) {
                ctx.progress().say(name + ": " + handled.get() + " of " + n + " handled");
            }
        }
        boolean counters = ctx.settings().counters();
        while (System.nanoTime() < deadline) {
            long seen = counters
                    ? db.dsl().select(org.jooq.impl.DSL.coalesce(org.jooq.impl.DSL.sum(TASK_COUNTS.N),
                            java.math.BigDecimal.ZERO)).from(TASK_COUNTS)
                            .where(TASK_COUNTS.TOPIC.eq(topic).and(TASK_COUNTS.STATUS.eq(TaskStatus.DONE)))
                            .fetchOne(0, Long.class)
                    : doneRows(db, topic);
            if (seen >= n) {
                break;
            }
            Thread.sleep(counters ? 5 : 20);
        }
        long reached = System.nanoTime();
        return new Done(reached, doneRows(db, topic));
    }

    /** Done rows of {@code topic}, with the lean successes that have none ({@code lean_done}). */
    private static long doneRows(Database db, String topic) {
        return db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.STATUS.eq(TaskStatus.DONE)))
                + ((Number) db.dsl().fetchValue("select count(*) from lean_done where topic = ?", topic)).longValue();
    }

    /** A plain consumer reads the {@code n} records already on {@code topic}: records/s from its first poll. */
    private double rawConsume(BenchContext ctx, String topic, int n) {
        long deadline = System.nanoTime() + ctx.stepTimeout().toNanos();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                ctx.infra().consumerProperties(ctx.infra().name("w1_raw_consume")))) {
            c.subscribe(List.of(topic));
            long consumed = 0;
            long sink = 0;
            long start = 0;
            while (consumed < n && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> batch = c.poll(POLL);
                if (batch.isEmpty()) {
                    continue;
                }
                if (start == 0) {
                    start = System.nanoTime();
                }
                for (var r : batch) {
                    sink += r.value() == null ? 0 : r.value().length;
                }
                consumed += batch.count();
            }
            if (consumed < n || sink < 0) {
                throw new IllegalStateException("raw consume: " + consumed + " of " + n + " records read");
            }
            return n / Progress.secondsSince(start);
        }
    }

    private record Drain(double publishSeconds, double seconds, long done, long duplicates, long statusBatches,
            double statusBatchMeanMs) {
        double perSecond() {
            return seconds > 0 ? done / seconds : 0;
        }
    }

    /**
     * Starts a recorder and a worker on {@code topic}, publishes {@code n} tasks with the Java
     * publisher and waits until every one has a {@code done} row; the recorder's figures go on
     * {@code recorderFigures} unless it is null.
     */
    private Drain drain(BenchContext ctx, String topic, int n, Database db, String name, Line recorderFigures,
            StatusModes modes) throws Exception {
        AtomicLong handled = new AtomicLong();
        RecordingExtension extension = new RecordingExtension(topic, "bench-noop", task -> {
            handled.incrementAndGet();
            return TaskResult.done();
        });
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        String prefix = ctx.prefix(name);
        WorkerConfig config = ctx.worker(name, prefix).statusModes(modes).build();
        RecorderRun recorder = RecorderRun.start(ctx, topic, db, name, modes);
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension), meters,
                Clock.systemUTC()));
        try (recorder; Publisher publisher = Publisher.connect(ctx.infra().bootstrap(), prefix, Map.of())) {
            if (!worker.awaitAssignment(Duration.ofSeconds(60))) {
                throw new IllegalStateException(name + ": the worker got no partitions within 60 s");
            }
            publisher.producer().partitionsFor(topic); // metadata outside the measurement
            String[] keys = new String[KEYS];
            for (int k = 0; k < KEYS; k++) {
                keys[k] = "k" + k;
            }
            List<CompletableFuture<UUID>> sent = new ArrayList<>(n);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sent.add(publisher.publish(topic, Payload.json(i),
                        PublishOptions.builder().key(keys[i % KEYS]).build()));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(ctx.settings().stepTimeoutSeconds(),
                    TimeUnit.SECONDS);
            double publishSeconds = Progress.secondsSince(start);
            long deadline = start + ctx.stepTimeout().toNanos();
            Done reached = awaitDone(ctx, db, topic, n, handled, deadline, name);
            long done = reached.rows();
            double seconds = (reached.reachedNanos() - start) / 1e9;
            if (recorderFigures != null) {
                recorder.putFigures(recorderFigures, seconds);
            }
            Timer writes = meters.find("conveyor.worker.status.write").timer();
            long batches = writes == null ? 0 : writes.count();
            double mean = writes == null || batches == 0 ? 0 : writes.mean(TimeUnit.MILLISECONDS);
            ctx.progress().say(name + ": " + done + " done in " + Line.round3(seconds) + " s ("
                    + Math.round(done / seconds) + "/s), published in " + Line.round3(publishSeconds) + " s");
            return new Drain(publishSeconds, Line.round3(seconds), done, Math.round(worker.metrics().duplicates()),
                    batches, Line.round3(mean));
        } finally {
            worker.close();
        }
    }

    /**
     * Raw Kafka: the same task records produced by a plain producer while a plain consumer reads
     * them; answers {produce/s, produce→consume/s (first send until the last record was polled)}.
     */
    private double[] rawKafka(BenchContext ctx, int n) throws Exception {
        String topic = ctx.infra().name("w1_raw");
        ctx.infra().createTopic(topic, ctx.settings().partitions());
        ctx.progress().say("W1: raw Kafka baseline, " + n + " records through a plain producer and consumer");
        AtomicLong consumed = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        AtomicReference<Throwable> consumerError = new AtomicReference<>();
        AtomicBoolean assigned = new AtomicBoolean();
        long deadline = System.nanoTime() + ctx.stepTimeout().toNanos();
        Thread consumer = Thread.ofPlatform().name("bench-raw-consumer").start(() -> {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                    ctx.infra().consumerProperties(ctx.infra().name("w1_raw")))) {
                c.subscribe(List.of(topic));
                long sink = 0;
                while (consumed.get() < n && System.nanoTime() < deadline) {
                    ConsumerRecords<byte[], byte[]> batch = c.poll(POLL);
                    if (!assigned.get() && !c.assignment().isEmpty()) {
                        c.assignment().forEach(c::position);
                        assigned.set(true);
                    }
                    if (batch.isEmpty()) {
                        continue;
                    }
                    for (var r : batch) {
                        sink += r.value() == null ? 0 : r.value().length;
                    }
                    consumed.addAndGet(batch.count());
                    lastAt.set(System.nanoTime());
                    c.commitAsync();
                }
                c.commitSync();
                if (sink < 0) {
                    throw new IllegalStateException("unreachable");
                }
            } catch (Throwable t) {
                consumerError.set(t);
            }
        });
        while (!assigned.get() && consumerError.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(300); // the first poll after assignment fetches the positions
        AtomicLong errors = new AtomicLong();
        long start;
        double produceSeconds;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ctx.infra().producerProperties(5))) {
            producer.partitionsFor(topic);
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Task task = Task.builder().topic(topic).payload(Payload.json(i), "application/json")
                        .key("k" + (i % KEYS)).build();
                ProducerRecord<byte[], byte[]> record = codec.encode(task);
                producer.send(record, (md, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                    }
                });
            }
            producer.flush();
            produceSeconds = Progress.secondsSince(start);
        }
        consumer.join(ctx.stepTimeout().toMillis() + 10_000);
        if (consumerError.get() != null) {
            throw new IllegalStateException("raw Kafka consumer failed", consumerError.get());
        }
        if (errors.get() > 0 || consumed.get() < n) {
            throw new IllegalStateException("raw Kafka baseline: " + errors.get() + " sends failed, " + consumed.get()
                    + " of " + n + " records consumed");
        }
        double e2e = n / ((lastAt.get() - start) / 1e9);
        ctx.progress().say("W1: raw Kafka " + Math.round(n / produceSeconds) + " produced/s, " + Math.round(e2e)
                + " produced→consumed/s");
        return new double[] {n / produceSeconds, e2e};
    }

    /**
     * Raw PostgreSQL: the {@code done} status rows of N tasks written into a fresh {@code tasks}
     * table by a multi-row {@code unnest} upsert of {@value #UPSERT_BATCH} rows per statement and
     * transaction, on one connection: the floor of what durable status rows cost.
     */
    private double rawUpsert(BenchContext ctx, int n) throws Exception {
        ctx.progress().say("W1: raw PostgreSQL baseline, " + n + " status rows by unnest upsert");
        String topic = ctx.infra().name("w1_upsert");
        String sql = """
                insert into tasks as t (id, topic, type, status, payload, content_type, started_at, finished_at)
                select u.id, u.topic, u.topic, 'done', u.payload, 'application/json', now(), now()
                from unnest(?::uuid[], ?::text[], ?::bytea[]) as u(id, topic, payload)
                on conflict (id) do update set status = excluded.status, updated_at = now(),
                    finished_at = excluded.finished_at
                """;
        try (Infrastructure.Schema schema = ctx.infra().schema("w1_upsert", 2, ctx.settings().counters());
                Connection c = schema.db().dataSource().getConnection();
                PreparedStatement st = c.prepareStatement(sql)) {
            c.setAutoCommit(false);
            long start = System.nanoTime();
            for (int from = 0; from < n; from += UPSERT_BATCH) {
                int size = Math.min(UPSERT_BATCH, n - from);
                UUID[] ids = new UUID[size];
                String[] topics = new String[size];
                byte[][] payloads = new byte[size][];
                for (int i = 0; i < size; i++) {
                    ids[i] = UUID.randomUUID();
                    topics[i] = topic;
                    payloads[i] = Payload.bytes(from + i);
                }
                Array idArray = c.createArrayOf("uuid", ids);
                Array topicArray = c.createArrayOf("text", topics);
                st.setArray(1, idArray);
                st.setArray(2, topicArray);
                st.setArray(3, c.createArrayOf("bytea", payloads));
                st.executeUpdate();
                c.commit();
            }
            double seconds = Progress.secondsSince(start);
            ctx.progress().say("W1: raw upsert " + Math.round(n / seconds) + " rows/s");
            return n / seconds;
        }
    }
}
