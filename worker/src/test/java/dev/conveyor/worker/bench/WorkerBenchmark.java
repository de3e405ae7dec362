package dev.conveyor.worker.bench;

import static dev.conveyor.testing.bench.BenchOutput.*;

import dev.conveyor.testing.bench.BenchOutput;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.db.Database;
import dev.conveyor.schema.db.DbConfig;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Ordering;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Worker benchmark: a real KRaft broker and a real PostgreSQL in this JVM, no JUnit. Every
 * workload prints one JSON line with what it measured to standard output; everything else (logs,
 * progress) goes to standard error. Run it with {@code ops/bin/bench-worker}.
 *
 * <ol>
 *   <li>{@code warmup}: W tasks preloaded and drained through a worker, so the measured drains do
 *       not also measure the JIT compiling the worker (the JSON line is printed, not compared);</li>
 *   <li>{@code preload}: produces N no-op tasks to a topic of P partitions;</li>
 *   <li>{@code raw-consume}: a plain consumer drains that topic, decoding nothing (the ceiling);</li>
 *   <li>{@code worker-drain}: the real worker drains the same topic with a no-op extension until
 *       every task has a {@code done} row (ordering {@code key}, then {@code none});</li>
 *   <li>{@code pickup-latency}: tasks produced at a steady rate; delay from send to the moment the
 *       extension is called, against the delay from send to a plain consumer's poll returning it
 *       (one after the other by default, each on its own topic; or both at once).</li>
 * </ol>
 */
public final class WorkerBenchmark {

    /** Header carrying the task's sequence number in the latency workload. */
    private static final String SEQ_HEADER = "bench_seq";
    private static final int KEYS = 1024;
    private static final Duration POLL = Duration.ofMillis(50);


    private final Options options;
    private final String bootstrap;
    private final Database db;
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private boolean failed;
    private boolean publicSchemaUsed;

    private WorkerBenchmark(Options options, String bootstrap, Database db) {
        this.options = options;
        this.bootstrap = bootstrap;
        this.db = db;
    }

    public static void main(String[] args) {
        BenchOutput.runMain("bench-worker", Options.USAGE, () -> run(Options.parse(args)));
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
                try (Database db = Database.openAndMigrate(new DbConfig(url, "postgres", null, 8, "public"), "bench")) {
                    double pgSeconds = secondsSince(t);
                    ObjectNode setup = line("setup");
                    setup.put("cpus", Runtime.getRuntime().availableProcessors());
                    setup.put("jdk", Runtime.version().toString());
                    setup.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
                    setup.put("broker_start_seconds", round3(brokerSeconds));
                    setup.put("postgres_start_seconds", round3(pgSeconds));
                    setup.put("postgres_fsync", pgSetting(db.dsl(), "fsync"));
                    setup.put("postgres_synchronous_commit", pgSetting(db.dsl(), "synchronous_commit"));
                    setup.put("tasks", o.tasks);
                    setup.put("warmup_tasks", o.warmupTasks);
                    setup.put("partitions", o.partitions);
                    setup.put("rate", o.rate);
                    setup.put("latency_seconds", o.latencySeconds);
                    emit(setup);
                    return new WorkerBenchmark(o, broker.bootstrap(), db).workloads();
                }
            }
        } finally {
            progress("infrastructure closed");
        }
    }

    private boolean workloads() throws Exception {
        if (options.warmupTasks > 0) {
            // The first drain would otherwise also measure the JIT compiling the worker's code path.
            String warmTopic = "bench.warmup." + runId;
            createTopic(warmTopic, options.partitions);
            preload(warmTopic, options.warmupTasks);
            workerDrain("warmup", warmTopic, options.warmupTasks, Ordering.KEY, -1);
        }
        String topic = "bench.drain." + runId;
        createTopic(topic, options.partitions);
        preload(topic, options.tasks);
        double rawRate = rawConsume(topic);

        List<Ordering> orderings = options.orderings;
        double firstDrainSeconds = -1;
        for (int i = 0; i < orderings.size(); i++) {
            Ordering ordering = orderings.get(i);
            double left = options.budgetSeconds - secondsSince(T0);
            double latencyNeeds = (options.latencyMode.equals("concurrent") ? 1.0 : 2.0) * options.latencySeconds + 20;
            if (i > 0 && firstDrainSeconds > 0 && firstDrainSeconds + latencyNeeds > left) {
                ObjectNode skipped = line("worker-drain");
                skipped.put("ordering", name(ordering));
                skipped.put("skipped", "time budget: the previous drain took " + round3(firstDrainSeconds)
                        + " s and " + Math.round(left) + " s of --budget-seconds " + options.budgetSeconds + " are left");
                emit(skipped);
                continue;
            }
            double seconds = workerDrain("worker-drain", topic, options.tasks, ordering, rawRate);
            if (firstDrainSeconds < 0) {
                firstDrainSeconds = seconds;
            }
        }
        if (options.latencySeconds > 0) {
            pickupLatency();
        }
        return !failed;
    }

    // ---- 1. preload ---------------------------------------------------------------------------

    private void preload(String topic, int tasks) throws Exception {
        progress("preload: producing " + tasks + " tasks to " + topic);
        AtomicLong errors = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long bytes = 0;
        long start;
        long end;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(5))) {
            producer.partitionsFor(topic); // metadata outside the measurement
            start = System.nanoTime();
            for (int i = 0; i < tasks; i++) {
                Task task = Task.builder().topic(topic).payload("{\"n\":" + i + "}", "application/json")
                        .key("k" + (i % KEYS)).build();
                ProducerRecord<byte[], byte[]> record = codec.encode(task);
                bytes += record.value().length;
                producer.send(record, (md, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                        firstError.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
            end = System.nanoTime();
        }
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " sends failed in preload", firstError.get());
        }
        double seconds = (end - start) / 1e9;
        ObjectNode json = line("preload");
        json.put("topic", topic);
        json.put("partitions", options.partitions);
        json.put("records", tasks);
        json.put("seconds", round3(seconds));
        json.put("per_second", Math.round(tasks / seconds));
        json.put("payload_bytes", bytes);
        json.put("producer", "acks=all idempotence=true linger.ms=5 batch.size=65536");
        emit(json);
    }

    // ---- 2. raw-consume -----------------------------------------------------------------------

    private double rawConsume(String topic) {
        progress("raw-consume: draining " + topic + " with a plain KafkaConsumer");
        long records = 0;
        long sink = 0;
        int polls = 0;
        long firstRecordAt = -1;
        long lastRecordAt = -1;
        long start;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.stepTimeoutSeconds);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties("bench-raw-" + runId))) {
            consumer.subscribe(List.of(topic));
            start = System.nanoTime();
            while (records < options.tasks && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL);
                polls++;
                if (batch.isEmpty()) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    sink += r.offset() + (r.value() == null ? 0 : r.value().length);
                }
                records += batch.count();
                long now = System.nanoTime();
                if (firstRecordAt < 0) {
                    firstRecordAt = now;
                }
                lastRecordAt = now;
                consumer.commitAsync();
            }
            consumer.commitSync();
        }
        ObjectNode json = line("raw-consume");
        json.put("records", records);
        if (records < options.tasks) {
            fail(json, "timed out after " + options.stepTimeoutSeconds + " s with " + records + " of "
                    + options.tasks + " records");
            emit(json);
            return -1;
        }
        double seconds = (lastRecordAt - start) / 1e9;
        double perSecond = records / seconds;
        json.put("seconds", round3(seconds));
        json.put("per_second", Math.round(perSecond));
        json.put("first_record_after_seconds", round3((firstRecordAt - start) / 1e9));
        json.put("steady_per_second", Math.round(records / ((lastRecordAt - firstRecordAt) / 1e9)));
        json.put("polls", polls);
        json.put("checksum", sink % 1000);
        emit(json);
        return perSecond;
    }

    // ---- 3. worker-drain ----------------------------------------------------------------------

    private double workerDrain(String workload, String topic, int tasks, Ordering ordering, double rawRate)
            throws InterruptedException {
        try (StatusSchema schema = freshSchema(workload.replace('-', '_') + "_" + name(ordering))) {
            return workerDrain(workload, topic, tasks, ordering, rawRate, schema.db());
        }
    }

    private double workerDrain(String workload, String topic, int tasks, Ordering ordering, double rawRate,
            Database db) throws InterruptedException {
        long[] scansBefore = tableScans(db, "tasks");
        AtomicLong handled = new AtomicLong();
        NoopExtension extension = new NoopExtension(topic, seq -> handled.incrementAndGet(), false);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        WorkerConfig config = workerConfig("bench-" + workload + "-" + name(ordering) + "-" + runId, ordering);
        progress("worker-drain (ordering " + name(ordering) + "): starting the worker");

        long start = System.nanoTime();
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension), meters,
                Clock.systemUTC()));
        ObjectNode json = line(workload);
        json.put("ordering", name(ordering));
        json.put("concurrency", config.concurrency());
        json.put("tasks", tasks);
        double seconds;
        long done = 0;
        try {
            boolean assigned = worker.awaitAssignment(Duration.ofSeconds(60));
            double assignedAfter = secondsSince(start);
            long deadline = start + TimeUnit.SECONDS.toNanos(options.stepTimeoutSeconds);
            // The handle() counter is in memory and free to read: wait on it first, so the status
            // count below (a query over a growing table) only runs near the end and does not take
            // database time from the worker while it drains.
            while (handled.get() < tasks && System.nanoTime() < deadline) {
                Thread.sleep(10);
                if (progressDue()) {
                    progress("worker-drain (ordering " + name(ordering) + "): " + handled.get() + " handled");
                }
            }
            long handledAt = System.nanoTime();
            while (System.nanoTime() < deadline) {
                done = db.dsl().fetchCount(TASKS, TASKS.STATUS.eq(TaskStatus.DONE));
                if (done >= tasks) {
                    break;
                }
                Thread.sleep(50);
            }
            long end = System.nanoTime();
            seconds = (end - start) / 1e9;
            json.put("assigned", assigned);
            json.put("assigned_after_seconds", round3(assignedAfter));
            json.put("done", done);
            json.put("handled", handled.get());
            if (done < tasks) {
                fail(json, "timed out after " + options.stepTimeoutSeconds + " s with " + done + " of "
                        + tasks + " tasks done");
            } else {
                double perSecond = tasks / seconds;
                json.put("seconds", round3(seconds));
                json.put("per_second", Math.round(perSecond));
                json.put("ratio_to_raw", rawRate > 0 ? round3(perSecond / rawRate) : null);
                json.put("last_handle_to_all_done_seconds", round3((end - handledAt) / 1e9));
                json.put("per_second_after_assignment", Math.round(tasks / (seconds - assignedAfter)));
            }
        } finally {
            long closeStart = System.nanoTime();
            worker.close();
            json.put("close_seconds", round3(secondsSince(closeStart)));
        }
        int transitions = db.dsl().fetchCount(TASK_TRANSITIONS);
        json.put("transition_rows", transitions);
        json.put("transition_rows_per_task", round3((double) transitions / tasks));
        json.put("task_rows", db.dsl().fetchCount(TASKS));
        json.put("duplicates", Math.round(worker.metrics().duplicates()));
        Timer writes = meters.find("conveyor.worker.status.write").timer();
        if (writes != null && writes.count() > 0) {
            json.put("status_batches", writes.count());
            json.put("status_batch_mean_ms", round3(writes.mean(TimeUnit.MILLISECONDS)));
            json.put("status_batch_max_ms", round3(writes.max(TimeUnit.MILLISECONDS)));
            json.put("status_batch_mean_tasks", round3((double) tasks / writes.count()));
        }
        Thread.sleep(1100); // PostgreSQL publishes table statistics about once a second
        long[] scansAfter = tableScans(db, "tasks");
        json.put("tasks_seq_scans", scansAfter[0] - scansBefore[0]);
        json.put("tasks_seq_rows_read", scansAfter[1] - scansBefore[1]);
        json.put("tasks_index_scans", scansAfter[2] - scansBefore[2]);
        emit(json);
        return done >= tasks ? seconds : -1;
    }

    // ---- 4. pickup-latency --------------------------------------------------------------------

    private void pickupLatency() throws Exception {
        int n = (int) Math.max(1, Math.round((double) options.rate * options.latencySeconds));
        boolean concurrent = options.latencyMode.equals("concurrent");
        ObjectNode json = line("pickup-latency");
        json.put("rate", options.rate);
        json.put("seconds", options.latencySeconds);
        json.put("tasks", n);
        json.put("partitions", options.partitions);
        json.put("producer", "acks=all idempotence=true linger.ms=0");
        json.put("mode", concurrent
                ? "concurrent: task i goes to the plain consumer's topic and to the worker's topic back to back"
                : "sequential: plain consumer first, then the worker (started after it), each on its own topic");
        json.put("worker_ordering", "key");

        String rawTopic = "bench.latency.raw." + runId;
        String workerTopic = "bench.latency.worker." + runId;
        createTopic(rawTopic, options.partitions);
        createTopic(workerTopic, options.partitions);
        long[] rawSent = new long[n];
        long[] rawSeen = new long[n];
        long[] workerSent = new long[n];
        long[] workerSeen = new long[n];

        // A plain consumer with the worker's client settings; notes when poll returned each record.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger rawCount = new AtomicInteger();
        AtomicBoolean rawAssigned = new AtomicBoolean();
        AtomicReference<Throwable> rawError = new AtomicReference<>();
        Thread rawThread = Thread.ofPlatform().name("bench-raw-latency").start(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(consumerProperties("bench-latency-raw-" + runId))) {
                consumer.subscribe(List.of(rawTopic));
                while (!stop.get()) {
                    ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL);
                    if (!rawAssigned.get() && !consumer.assignment().isEmpty()) {
                        consumer.assignment().forEach(consumer::position); // positions fixed before producing
                        rawAssigned.set(true);
                    }
                    if (batch.isEmpty()) {
                        continue;
                    }
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        long now = System.nanoTime();
                        int seq = seq(r.headers().lastHeader(SEQ_HEADER));
                        if (seq >= 0 && seq < n && rawSeen[seq] == 0) {
                            rawSeen[seq] = now;
                            rawCount.incrementAndGet();
                        }
                    }
                    consumer.commitAsync();
                }
            } catch (Throwable t) {
                rawError.set(t);
            }
        });

        // The worker; its extension notes when handle() was called for each task.
        AtomicInteger workerCount = new AtomicInteger();
        NoopExtension extension = new NoopExtension(workerTopic, seq -> {
            long now = System.nanoTime();
            if (seq >= 0 && seq < n && workerSeen[seq] == 0) {
                workerSeen[seq] = now;
                workerCount.incrementAndGet();
            }
        }, true);
        // The status tables of a running installation: the first drain's rows, vacuumed and
        // analyzed as autovacuum would have them by now. (Fresh, never-analyzed tables make
        // PostgreSQL scan the whole tasks table on each poll's status read until autovacuum
        // first analyzes it; that start-up effect is not what this workload measures.)
        int historyRows = db.dsl().fetchCount(TASKS);
        db.dsl().execute("vacuum analyze tasks");
        db.dsl().execute("vacuum analyze task_transitions");
        Thread.sleep(1100); // PostgreSQL publishes table statistics about once a second
        json.put("status_tables", "public schema with " + historyRows + " earlier tasks, vacuumed and analyzed");
        StatusSchema schema = new StatusSchema(db, () -> {});
        long[] scansBefore = tableScans(schema.db(), "tasks");
        Worker worker = null;
        double[] achieved;
        try {
            awaitTrue(rawAssigned, Duration.ofSeconds(60), "the plain consumer got no partitions");
            if (concurrent) {
                worker = startAssigned(schema.db(), extension);
                progress("pickup-latency: plain consumer and worker together, " + n + " tasks each at "
                        + options.rate + "/s");
                achieved = produceSteady(new String[] {rawTopic, workerTopic}, n,
                        new long[][] {rawSent, workerSent});
                awaitCount(rawCount, n, Duration.ofSeconds(30));
                awaitCount(workerCount, n, Duration.ofSeconds(30));
            } else {
                Thread.sleep(300); // let the first poll after assignment fetch the positions
                progress("pickup-latency: plain consumer, " + n + " tasks at " + options.rate + "/s");
                double raw = produceSteady(new String[] {rawTopic}, n, new long[][] {rawSent})[0];
                awaitCount(rawCount, n, Duration.ofSeconds(30));
                stop.set(true);
                rawThread.join(10_000);
                worker = startAssigned(schema.db(), extension);
                progress("pickup-latency: worker, " + n + " tasks at " + options.rate + "/s");
                double work = produceSteady(new String[] {workerTopic}, n, new long[][] {workerSent})[0];
                awaitCount(workerCount, n, Duration.ofSeconds(30));
                achieved = new double[] {raw, work};
            }
        } finally {
            stop.set(true);
            if (worker != null) {
                worker.close();
            }
            rawThread.join(10_000);
        }
        try {
            Thread.sleep(1100); // PostgreSQL publishes table statistics about once a second
            long[] scansAfter = tableScans(schema.db(), "tasks");
            json.put("tasks_seq_scans", scansAfter[0] - scansBefore[0]);
            json.put("tasks_seq_rows_read", scansAfter[1] - scansBefore[1]);
            json.put("tasks_index_scans", scansAfter[2] - scansBefore[2]);
        } finally {
            schema.close();
        }
        if (rawError.get() != null) {
            throw new IllegalStateException("plain latency consumer failed", rawError.get());
        }

        json.put("raw_achieved_rate", Math.round(achieved[0]));
        json.put("worker_achieved_rate", Math.round(achieved[achieved.length - 1]));
        Percentiles raw = Percentiles.of(rawSent, rawSeen);
        Percentiles work = Percentiles.of(workerSent, workerSeen);
        raw.put(json, "raw_");
        work.put(json, "worker_");
        json.put("p50_delta_ms", round3(work.p50Ms - raw.p50Ms));
        json.put("p99_delta_ms", round3(work.p99Ms - raw.p99Ms));
        if (raw.missing > 0 || work.missing > 0) {
            fail(json, "not every task was seen: raw missed " + raw.missing + ", worker missed " + work.missing);
        }
        emit(json);
    }

    /** Starts the latency workload's worker (ordering key) and waits until it has its partitions. */
    private Worker startAssigned(Database db, NoopExtension extension) throws InterruptedException {
        Worker worker = Worker.start(workerConfig("bench-latency-worker-" + runId, Ordering.KEY),
                new Worker.Collaborators(db.dsl(), Extensions.of(extension)));
        if (!worker.awaitAssignment(Duration.ofSeconds(60))) {
            worker.close();
            throw new IllegalStateException("the worker got no partitions within 60 s");
        }
        Thread.sleep(300); // let the first poll after assignment fetch the positions
        return worker;
    }

    /**
     * Sends {@code n} tasks to each topic on a fixed schedule (task i is due at start + i/rate and
     * goes to every topic back to back), recording each send time in {@code sent[topic][i]};
     * returns the send rate achieved per topic.
     */
    private double[] produceSteady(String[] topics, int n, long[][] sent) throws Exception {
        AtomicLong errors = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long interval = 1_000_000_000L / options.rate;
        long start;
        long last;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(0))) {
            for (String topic : topics) {
                producer.partitionsFor(topic); // metadata outside the measurement
            }
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = start + i * interval;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                for (int t = 0; t < topics.length; t++) {
                    Task task = Task.builder().topic(topics[t])
                            .payload("{\"n\":" + i + ",\"sent_ms\":" + System.currentTimeMillis() + "}",
                                    "application/json")
                            .key("k" + (i % KEYS)).header(SEQ_HEADER, Integer.toString(i)).build();
                    ProducerRecord<byte[], byte[]> record = codec.encode(task);
                    sent[t][i] = System.nanoTime();
                    producer.send(record, (md, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e);
                        }
                    });
                }
            }
            last = System.nanoTime();
            producer.flush();
        }
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " sends failed", firstError.get());
        }
        double rate = n <= 1 ? n : (n - 1) / ((last - start) / 1e9);
        double[] rates = new double[topics.length];
        Arrays.fill(rates, rate);
        return rates;
    }

    private record Percentiles(int samples, int missing, double p50Ms, double p99Ms, double maxMs) {

        static Percentiles of(long[] sent, long[] seen) {
            long[] delays = new long[sent.length];
            int k = 0;
            for (int i = 0; i < sent.length; i++) {
                if (seen[i] != 0 && sent[i] != 0) {
                    delays[k++] = seen[i] - sent[i];
                }
            }
            long[] sorted = Arrays.copyOf(delays, k);
            Arrays.sort(sorted);
            return new Percentiles(k, sent.length - k, ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.99)),
                    ms(k == 0 ? 0 : sorted[k - 1]));
        }

        private static double ms(long nanos) {
            return round3(nanos / 1e6);
        }

        void put(ObjectNode json, String prefix) {
            json.put(prefix + "p50_ms", p50Ms);
            json.put(prefix + "p99_ms", p99Ms);
            json.put(prefix + "max_ms", maxMs);
            json.put(prefix + "samples", samples);
        }
    }

    // ---- the no-op extension --------------------------------------------------------------------

    /** Answers {@code done} at once; tells {@code onHandle} the task's sequence number (or -1). */
    private static final class NoopExtension implements BackgroundExtension {
        private final Set<String> topics;
        private final IntConsumer onHandle;
        private final boolean readSeq;

        NoopExtension(String topic, IntConsumer onHandle, boolean readSeq) {
            this.topics = Set.of(topic);
            this.onHandle = onHandle;
            this.readSeq = readSeq;
        }

        @Override
        public Set<String> topics() {
            return topics;
        }

        @Override
        public String name() {
            return "bench-noop";
        }

        @Override
        public TaskResult handle(Task task) {
            int seq = -1;
            if (readSeq) {
                String header = task.header(SEQ_HEADER);
                seq = header == null ? -1 : Integer.parseInt(header);
            }
            onHandle.accept(seq);
            return TaskResult.done();
        }
    }

    // ---- Kafka and worker settings --------------------------------------------------------------

    private WorkerConfig workerConfig(String group, Ordering ordering) {
        return WorkerConfig.builder(bootstrap)
                .group(group)
                .node("bench")
                .topicPrefix("bench.internal.")
                .concurrency(256)
                .statusWriters(Integer.getInteger("bench.writers", 2))
                .maxInFlight(Integer.getInteger("bench.maxInFlight", 4096))
                .ordering(ordering)
                .shutdownGrace(Duration.ofSeconds(10))
                .build();
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

    /** The worker's own consumer settings (see WorkerRuntime), with a group of its own. */
    private Properties consumerProperties(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
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

    /** Sequential scans, rows they read, and index scans of {@code table} so far (pg_stat_user_tables). */
    private static long[] tableScans(Database db, String table) {
        var r = db.dsl().fetchOne("select coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), coalesce(idx_scan, 0) "
                + "from pg_stat_user_tables where schemaname = current_schema() and relname = ?", table);
        return r == null ? new long[3]
                : new long[] {((Number) r.get(0)).longValue(), ((Number) r.get(1)).longValue(),
                        ((Number) r.get(2)).longValue()};
    }

    /**
     * Status tables for one drain, as a new installation has them: the first drain gets the
     * {@code public} schema migrated at start (and leaves its rows there for the latency workload),
     * later drains a new schema of their own, migrated the same way, with its own pool, dropped
     * afterwards. Reusing tables emptied by TRUNCATE would not do: PostgreSQL would plan the
     * worker's per-poll status read from statistics of an empty table and scan the whole table on
     * every poll while it refills.
     */
    private StatusSchema freshSchema(String name) {
        if (!publicSchemaUsed) {
            publicSchemaUsed = true;
            withoutCountersIfAsked(db);
            return new StatusSchema(db, () -> {});
        }
        String schema = "bench_" + name + "_" + runId;
        Database own = Database.openAndMigrate(new DbConfig(db.config().url(), db.config().user(),
                db.config().password(), 8, schema), "bench-" + name);
        withoutCountersIfAsked(own);
        return new StatusSchema(own, () -> {
            own.close();
            db.dsl().execute("drop schema " + schema + " cascade");
        });
    }

    /**
     * {@code -Dbench.counters=off} disables the triggers that keep {@code task_counts} (V5), to
     * measure what the O(1) stats cost the worker; never in a real installation.
     */
    private static void withoutCountersIfAsked(Database database) {
        if ("off".equals(System.getProperty("bench.counters"))) {
            database.dsl().execute("alter table tasks disable trigger tasks_count_inserts, "
                    + "disable trigger tasks_count_updates");
        }
    }

    private record StatusSchema(Database db, Runnable cleanup) implements AutoCloseable {
        @Override
        public void close() {
            cleanup.run();
        }
    }

    private void fail(ObjectNode json, String error) {
        json.put("error", error);
        failed = true;
    }


    private static String name(Ordering ordering) {
        return ordering.name().toLowerCase(Locale.ROOT);
    }

    // ---- options ---------------------------------------------------------------------------------

    private record Options(int tasks, int warmupTasks, int partitions, int rate, int latencySeconds,
            String latencyMode, List<Ordering> orderings, int budgetSeconds, int stepTimeoutSeconds) {

        static final String USAGE = """
                usage: bench-worker [--tasks N] [--warmup-tasks W] [--partitions P] [--rate R] [--latency-seconds S]
                                    [--latency-mode concurrent|sequential] [--orderings key,none]
                                    [--budget-seconds B] [--step-timeout-seconds T]
                  --tasks N               tasks preloaded and drained (default 100000)
                  --warmup-tasks W        tasks drained through a worker first, unmeasured, so the JIT has
                                          compiled the worker before the measured drains (default 20000; 0 skips)
                  --partitions P          partitions of the benchmark topics (default 4)
                  --rate R                tasks per second in the latency workload (default 1000)
                  --latency-seconds S     how long the latency workload produces, per consumer (default 10; 0 skips it)
                  --latency-mode MODE     sequential (default): the plain consumer, then the worker;
                                          concurrent: both at once, each on its own topic
                  --orderings LIST        worker-drain runs, in order (default key,none)
                  --budget-seconds B      skip later drains when they would not fit in B seconds overall (default 170)
                  --step-timeout-seconds T  longest a drain may take before it is reported as failed (default 150)""";

        static Options parse(String[] args) {
            int tasks = 100_000;
            int warmupTasks = 20_000;
            int partitions = 4;
            int rate = 1000;
            int latencySeconds = 10;
            String latencyMode = "sequential";
            List<Ordering> orderings = List.of(Ordering.KEY, Ordering.NONE);
            int budget = 170;
            int stepTimeout = 150;
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
                    case "--warmup-tasks" -> warmupTasks = positive(arg, value, 0);
                    case "--partitions" -> partitions = positive(arg, value, 1);
                    case "--rate" -> rate = positive(arg, value, 1);
                    case "--latency-seconds" -> latencySeconds = positive(arg, value, 0);
                    case "--budget-seconds" -> budget = positive(arg, value, 1);
                    case "--step-timeout-seconds" -> stepTimeout = positive(arg, value, 1);
                    case "--latency-mode" -> {
                        latencyMode = value.trim().toLowerCase(Locale.ROOT);
                        if (!latencyMode.equals("concurrent") && !latencyMode.equals("sequential")) {
                            throw new IllegalArgumentException("--latency-mode must be concurrent or sequential, was '"
                                    + value + "'");
                        }
                    }
                    case "--orderings" -> {
                        List<Ordering> list = new ArrayList<>();
                        for (String s : value.split(",")) {
                            try {
                                list.add(Ordering.valueOf(s.trim().toUpperCase(Locale.ROOT)));
                            } catch (IllegalArgumentException e) {
                                throw new IllegalArgumentException("--orderings: unknown ordering '" + s + "' (key, none)");
                            }
                        }
                        orderings = List.copyOf(list);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (rate > 1_000_000) {
                throw new IllegalArgumentException("--rate must be at most 1000000");
            }
            return new Options(tasks, warmupTasks, partitions, rate, latencySeconds, latencyMode, orderings, budget, stepTimeout);
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
