package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_COUNTS;
import static dev.conveyor.store.db.jooq.Tables.TASK_FINISHED_MINUTES;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.inline;
import static org.jooq.impl.DSL.lateral;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.select;
import static org.jooq.impl.DSL.sum;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.KafkaClients;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record1;
import org.jooq.Record2;
import org.jooq.Record3;
import org.jooq.ResultQuery;
import org.jooq.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/stats} (docs/status-api.md): task counts per topic and status, each topic's queued
 * backlog (rows) and oldest queued task beside the worker group's consumer lag on it, the oldest
 * queued task overall, the scheduled backlog and the throughput of the last
 * {@value #THROUGHPUT_MINUTES} minutes.
 *
 * <p>Every database figure is read so that it costs the same however many tasks there are: counts
 * and throughput come from the counter tables the triggers of migration V5 keep
 * ({@code task_counts}, {@code task_finished_minutes}); the oldest queued task is one index probe
 * per topic that has queued tasks. The scheduled backlog counts {@code scheduled_deliveries}, which
 * holds only pending deliveries. Lag asks Kafka with a {@link #KAFKA_TIMEOUT} budget; when Kafka
 * does not answer in time the database figures are still served, with the lag marked unavailable.
 */
public final class StatsApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatsApi.class);

    /** Minutes of throughput reported: the last whole minutes before the current one. */
    static final int THROUGHPUT_MINUTES = 15;
    /** Longest a stats call waits for Kafka (both admin calls together). */
    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(2);
    /** {@code task_finished_minutes} rows older than this are deleted. */
    static final Duration FINISHED_RETENTION = Duration.ofDays(1);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    private final DSLContext dsl;
    private final Clock clock;
    private final Set<String> configuredTopics;
    private final String group;
    private final StorageStats storage;
    private final Admin admin;
    private final AtomicReference<Instant> nextPrune = new AtomicReference<>(Instant.MIN);

    /**
     * @param dsl jOOQ over the process's pool
     * @param config the ingress settings: its topics are always listed, its {@code workerGroup}'s lag is reported
     * @param clock time source of {@code at}, the queued age and the throughput window
     */
    public StatsApi(DSLContext dsl, IngressConfig config, Clock clock) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.configuredTopics = config.topics();
        this.group = config.workerGroup();
        this.storage = new StorageStats(dsl);
        // Admin.create does not connect; it connects on the first call and reconnects by itself.
        this.admin = Admin.create(KafkaClients.admin(config.bootstrap(), config.node() + "-stats", config.kafkaClient(),
                KAFKA_TIMEOUT));
    }

    /** The stats document of docs/status-api.md as of now. */
    public ObjectNode stats() {
        Instant now = clock.instant();
        pruneFinishedMinutes(now);
        Map<String, Map<TaskStatus, Long>> counts = counts();
        Map<String, Instant> oldestQueuedByTopic = oldestQueued();
        Instant oldestQueued = oldestQueuedByTopic.values().stream().min(Instant::compareTo).orElse(null);
        Record2<Integer, Instant> scheduled = scheduledQuery().fetchOne();
        Instant windowEnd = now.truncatedTo(ChronoUnit.MINUTES);
        Instant windowStart = windowEnd.minus(THROUGHPUT_MINUTES, ChronoUnit.MINUTES);
        Map<Instant, Map<TaskStatus, Long>> finished = finished(windowStart, windowEnd);
        Lag lag = lag();

        ObjectNode json = Json.emptyObject().put("at", now.toString());
        Set<String> topics = new TreeSet<>(configuredTopics);
        topics.addAll(counts.keySet());
        topics.addAll(lag.byTopic().keySet());
        Map<TaskStatus, Long> totals = new EnumMap<>(TaskStatus.class);
        ArrayNode topicsJson = json.putArray("topics");
        for (String topic : topics) {
            Map<TaskStatus, Long> c = counts.getOrDefault(topic, Map.of());
            ObjectNode t = topicsJson.addObject().put("topic", topic);
            ObjectNode countsJson = t.putObject("counts");
            for (TaskStatus status : TaskStatus.values()) {
                long n = c.getOrDefault(status, 0L);
                countsJson.put(status.wireName(), n);
                totals.merge(status, n, Long::sum);
            }
            t.put("queued", c.getOrDefault(TaskStatus.QUEUED, 0L));
            putOldestQueued(t, oldestQueuedByTopic.get(topic), now);
            t.put("lag", lag.available() ? lag.byTopic().get(topic) : null);
        }
        ObjectNode totalsJson = json.putObject("totals");
        for (TaskStatus status : TaskStatus.values()) {
            totalsJson.put(status.wireName(), totals.getOrDefault(status, 0L));
        }
        putOldestQueued(json, oldestQueued, now);
        json.putObject("scheduled")
                .put("pending", scheduled.value1())
                .put("nextDueAt", scheduled.value2() == null ? null : scheduled.value2().toString());
        json.putObject("lag")
                .put("group", group)
                .put("total", lag.available() ? lag.byTopic().values().stream().mapToLong(Long::longValue).sum() : null)
                .put("available", lag.available());
        ArrayNode throughput = json.putArray("throughput");
        for (Instant minute = windowStart; minute.isBefore(windowEnd); minute = minute.plus(1, ChronoUnit.MINUTES)) {
            Map<TaskStatus, Long> m = finished.getOrDefault(minute, Map.of());
            long all = m.values().stream().mapToLong(Long::longValue).sum();
            long failed = m.getOrDefault(TaskStatus.FAILED, 0L) + m.getOrDefault(TaskStatus.DEAD, 0L);
            throughput.addObject().put("minute", minute.toString()).put("finished", all).put("failed", failed);
        }
        storage.put(json);
        return json;
    }

    /**
     * The database queries of one stats call, by name, as they are sent (for EXPLAIN in the
     * benchmark and in reviews).
     */
    public Map<String, ResultQuery<?>> queries(Instant now) {
        Instant windowEnd = now.truncatedTo(ChronoUnit.MINUTES);
        Map<String, ResultQuery<?>> queries = new LinkedHashMap<>();
        queries.put("counts", countsQuery());
        queries.put("oldest_queued", oldestQueuedQuery());
        queries.put("scheduled", scheduledQuery());
        queries.put("throughput", finishedQuery(windowEnd.minus(THROUGHPUT_MINUTES, ChronoUnit.MINUTES), windowEnd));
        return queries;
    }

    // ---- counts ------------------------------------------------------------------------------

    private ResultQuery<Record3<String, TaskStatus, Long>> countsQuery() {
        Field<Long> n = sum(TASK_COUNTS.N).cast(Long.class);
        return dsl.select(TASK_COUNTS.TOPIC, TASK_COUNTS.STATUS, n)
                .from(TASK_COUNTS)
                .groupBy(TASK_COUNTS.TOPIC, TASK_COUNTS.STATUS)
                .having(sum(TASK_COUNTS.N).ne(inline(java.math.BigDecimal.ZERO)));
    }

    private Map<String, Map<TaskStatus, Long>> counts() {
        Map<String, Map<TaskStatus, Long>> counts = new HashMap<>();
        for (var r : countsQuery().fetch()) {
            counts.computeIfAbsent(r.value1(), t -> new EnumMap<>(TaskStatus.class)).put(r.value2(), r.value3());
        }
        return counts;
    }

    // ---- oldest queued -----------------------------------------------------------------------

    /**
     * The oldest queued task of each topic that has queued tasks (from the counters): the first
     * entry of {@code tasks_status_topic_created_idx} for (queued, topic), read backwards, one index
     * probe per topic. A plain {@code min(created_at) where status = 'queued'} would read every
     * queued entry of that index, since the topic sits between status and created_at. The status is
     * an inline literal, not a bind value: the index is partial ({@code where status <> 'done'}),
     * and a generic plan for a bound status could not use it.
     */
    private ResultQuery<Record2<String, Instant>> oldestQueuedQuery() {
        Table<Record1<String>> queuedTopics = select(TASK_COUNTS.TOPIC)
                .from(TASK_COUNTS)
                .where(TASK_COUNTS.STATUS.eq(inline(TaskStatus.QUEUED, TASK_COUNTS.STATUS)))
                .groupBy(TASK_COUNTS.TOPIC)
                .having(sum(TASK_COUNTS.N).gt(inline(java.math.BigDecimal.ZERO)))
                .asTable("queued_topics");
        Field<String> topic = queuedTopics.field(TASK_COUNTS.TOPIC);
        Table<Record1<Instant>> oldest = lateral(select(TASKS.CREATED_AT)
                .from(TASKS)
                .where(TASKS.STATUS.eq(inline(TaskStatus.QUEUED, TASKS.STATUS)))
                .and(TASKS.TOPIC.eq(topic))
                .orderBy(TASKS.CREATED_AT)
                .limit(inline(1)))
                .asTable("oldest");
        return dsl.select(topic, oldest.field(TASKS.CREATED_AT)).from(queuedTopics).crossJoin(oldest);
    }

    /** Topic → creation time of its oldest queued task; topics without queued tasks are absent. */
    private Map<String, Instant> oldestQueued() {
        Map<String, Instant> byTopic = new HashMap<>();
        for (var r : oldestQueuedQuery().fetch()) {
            byTopic.put(r.value1(), r.value2());
        }
        return byTopic;
    }

    /** {@code oldestQueuedAt} and {@code oldestQueuedAgeSeconds} (null and null when none is queued). */
    private static void putOldestQueued(ObjectNode json, Instant oldest, Instant now) {
        json.put("oldestQueuedAt", oldest == null ? null : oldest.toString());
        json.put("oldestQueuedAgeSeconds", oldest == null ? null
                : Math.max(0, Duration.between(oldest, now).toMillis()) / 1000.0);
    }

    // ---- scheduled backlog -------------------------------------------------------------------

    /** Pending deliveries (each row is one; delivered rows are deleted) and the earliest due time. */
    private ResultQuery<Record2<Integer, Instant>> scheduledQuery() {
        return dsl.select(count(), min(SCHEDULED_DELIVERIES.DUE_AT)).from(SCHEDULED_DELIVERIES);
    }

    // ---- throughput --------------------------------------------------------------------------

    private ResultQuery<Record3<Instant, TaskStatus, Long>> finishedQuery(Instant from, Instant to) {
        return dsl.select(TASK_FINISHED_MINUTES.MINUTE, TASK_FINISHED_MINUTES.STATUS,
                        sum(TASK_FINISHED_MINUTES.N).cast(Long.class))
                .from(TASK_FINISHED_MINUTES)
                .where(TASK_FINISHED_MINUTES.MINUTE.ge(from))
                .and(TASK_FINISHED_MINUTES.MINUTE.lt(to))
                .groupBy(TASK_FINISHED_MINUTES.MINUTE, TASK_FINISHED_MINUTES.STATUS);
    }

    private Map<Instant, Map<TaskStatus, Long>> finished(Instant from, Instant to) {
        Map<Instant, Map<TaskStatus, Long>> byMinute = new TreeMap<>();
        for (var r : finishedQuery(from, to).fetch()) {
            byMinute.computeIfAbsent(r.value1(), m -> new EnumMap<>(TaskStatus.class)).put(r.value2(), r.value3());
        }
        return byMinute;
    }

    /**
     * Deletes throughput rows older than {@link #FINISHED_RETENTION}, at most once a minute per
     * ingress. Nothing else deletes them; an installation whose stats are never read keeps
     * accumulating a few rows per topic and minute, which the next call removes in one indexed delete.
     */
    private void pruneFinishedMinutes(Instant now) {
        Instant due = nextPrune.get();
        if (now.isBefore(due) || !nextPrune.compareAndSet(due, now.plus(PRUNE_EVERY))) {
            return;
        }
        int deleted = dsl.deleteFrom(TASK_FINISHED_MINUTES)
                .where(TASK_FINISHED_MINUTES.MINUTE.lt(now.minus(FINISHED_RETENTION)))
                .execute();
        if (deleted > 0) {
            log.debug("Deleted {} task_finished_minutes rows older than {}", deleted, FINISHED_RETENTION);
        }
    }

    // ---- consumer lag ------------------------------------------------------------------------

    /** Lag of the worker group per topic (summed over partitions), or unavailable. */
    record Lag(Map<String, Long> byTopic, boolean available) {
        static final Lag UNAVAILABLE = new Lag(Map.of(), false);
    }

    /**
     * Committed offsets of the worker group against the partitions' end offsets. Task topics are
     * Kafka topics of the same name ({@code kafka.topic-prefix} names only internal topics), so
     * the names are reported as Kafka has them. A partition the group has not committed on yet has
     * no lag figure and is left out; a topic with none is absent from the lag map.
     */
    Lag lag() {
        long deadline = System.nanoTime() + KAFKA_TIMEOUT.toNanos();
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin
                    .listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions().timeoutMs(remainingMs(deadline)))
                    .partitionsToOffsetAndMetadata()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.forEach((tp, offset) -> {
                if (offset != null) {
                    latest.put(tp, OffsetSpec.latest());
                }
            });
            if (latest.isEmpty()) {
                return new Lag(Map.of(), true);
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin
                    .listOffsets(latest, new ListOffsetsOptions().timeoutMs(remainingMs(deadline)))
                    .all()
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            Map<String, Long> byTopic = new HashMap<>();
            ends.forEach((tp, end) -> byTopic.merge(tp.topic(),
                    Math.max(0, end.offset() - committed.get(tp).offset()), Long::sum));
            return new Lag(byTopic, true);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            log.warn("Consumer lag of group {} is unavailable: {}", group, cause.toString());
            return Lag.UNAVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Lag.UNAVAILABLE;
        }
    }

    private static int remainingMs(long deadline) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
