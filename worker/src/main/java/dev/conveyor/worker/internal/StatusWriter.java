package dev.conveyor.worker.internal;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.Transition;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes outcomes durable, in batches: everything that arrived while the previous batch was being
 * written goes into the next one (natural batching: small batches and low latency when quiet,
 * large batches under load). Per batch: one status transaction, then the Kafka records that
 * depend on it (dead letters, interactive replies, trace records), then the offsets are handed
 * back to the poll loop for commit, then the {@code onFinish} hooks run.
 *
 * <p>If the database is unavailable the batch is retried with backoff until it succeeds; offsets
 * stay uncommitted meanwhile, so a crash in that window redelivers the records and nothing is lost.
 */
final class StatusWriter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
    static final String REPLY_TASK_ID = "conveyor_task_id";

    private final BlockingQueue<WriterEvent> events = new LinkedBlockingQueue<>();
    /** Size of the batch being written right now (0 between batches). */
    private volatile int writing;
    private final Set<Execution> running = ConcurrentHashMap.newKeySet();
    private final StatusStore store;
    private final Producer<byte[], byte[]> producer;
    private final Queue<WriterEvent> durable;
    private final ExecutorService hooks;
    private final WorkerMetrics metrics;
    private final Clock clock;
    private final String dlqTopic;
    private final String traceTopic;
    private final String node;
    private final int batchSize;
    private final Duration runningMarkAfter;
    private volatile boolean stopping;
    private volatile boolean aborted;
    private Instant lastRunningScan = Instant.EPOCH;

    StatusWriter(StatusStore store, Producer<byte[], byte[]> producer, Queue<WriterEvent> durable,
            ExecutorService hooks, WorkerMetrics metrics, Clock clock, String dlqTopic,
            String traceTopic, String node, int batchSize, Duration runningMarkAfter) {
        this.store = store;
        this.producer = producer;
        this.durable = durable;
        this.hooks = hooks;
        this.metrics = metrics;
        this.clock = clock;
        this.dlqTopic = dlqTopic;
        this.traceTopic = traceTopic;
        this.node = node;
        this.batchSize = batchSize;
        this.runningMarkAfter = runningMarkAfter;
    }

    void submit(WriterEvent event) {
        events.add(event);
    }

    void started(Execution execution) {
        running.add(execution);
    }

    void stoppedRunning(Execution execution) {
        running.remove(execution);
    }

    /** Finish what is queued, then stop. */
    void stop() {
        stopping = true;
    }

    /** Stop at once, dropping what is queued (its offsets stay uncommitted, so it is redelivered). */
    void abort() {
        aborted = true;
        stopping = true;
    }

    @Override
    public void run() {
        List<WriterEvent> batch = new ArrayList<>(batchSize);
        while (!aborted && !(stopping && events.isEmpty())) {
            try {
                WriterEvent first = events.poll(50, TimeUnit.MILLISECONDS);
                markLongRunning();
                if (first == null) {
                    continue;
                }
                batch.add(first);
                events.drainTo(batch, batchSize - 1);
                writing = batch.size();
                write(batch);
            } catch (InterruptedException e) {
                if (aborted) {
                    return;
                }
            } catch (RuntimeException e) {
                // A bug here must not stop recording: log, keep the batch's offsets uncommitted.
                log.error("Status writer failed on a batch of {}; its records will be redelivered", batch.size(), e);
            } finally {
                batch.clear();
                writing = 0;
            }
        }
    }

    /** Outcomes waiting for this writer or in the batch it is writing now. */
    int backlog() {
        return events.size() + writing;
    }

    /** Writes {@code running} for executions that have been running a while (short ones never need it). */
    private void markLongRunning() {
        Instant now = clock.instant();
        if (Duration.between(lastRunningScan, now).compareTo(Duration.ofMillis(100)) < 0) {
            return;
        }
        lastRunningScan = now;
        List<Execution> due = new ArrayList<>();
        for (Execution e : running) {
            if (!e.runningWritten && e.startedAt != null && e.startedAt.isBefore(now.minus(runningMarkAfter))) {
                due.add(e);
            }
        }
        if (due.isEmpty()) {
            return;
        }
        List<StatusChange> changes = due.stream().map(Execution::runningChange).toList();
        Set<UUID> applied = applyWithRetry(changes, store::markRunning);
        if (applied == null) {
            return;
        }
        for (Execution e : due) {
            if (applied.contains(e.task.id())) {
                e.runningWritten = true;
                publishTrace(e.task, e.runningChange().transitions(), e.task.attempt());
            }
        }
    }

    private void write(List<WriterEvent> batch) {
        if (aborted) {
            return;
        }
        long t0 = System.nanoTime();
        List<StatusChange> changes = new ArrayList<>(batch.size());
        List<ProducerRecord<byte[], byte[]>> sends = new ArrayList<>();
        for (WriterEvent event : batch) {
            switch (event) {
                case WriterEvent.Finished f -> changes.add(f.execution().finishedChange());
                case WriterEvent.DeadLetter d -> {
                    sends.add(deadLetterRecord(d));
                    metrics.deadLetter();
                    if (d.dead() != null) {
                        changes.add(d.dead());
                    }
                }
            }
        }
        Set<UUID> applied = applyWithRetry(changes, store::recordOutcomes);
        if (applied == null) {
            return; // aborted
        }
        metrics.statusWrite().record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        List<Execution> finished = new ArrayList<>();
        for (WriterEvent event : batch) {
            if (event instanceof WriterEvent.Finished f) {
                Execution e = f.execution();
                metrics.outcome(e.task.topic(), e.next.status());
                if (applied.contains(e.task.id())) {
                    if (e.next.status().isTerminal() && e.task.createdAt() != null) {
                        metrics.endToEnd().record(Duration.between(e.task.createdAt(), clock.instant()));
                    }
                    // onFinish sees what the extension answered, or the final failure; not a retry in between.
                    if ((e.invocation.answer() != null || e.next.status().isTerminal()) && hasFinishHook(e.route)) {
                        finished.add(e);
                    }
                }
            }
        }
        for (StatusChange c : changes) {
            if (c.traceId() != null && applied.contains(c.id())) {
                sends.addAll(traceRecords(c));
            }
        }
        if (!produceAll(sends)) {
            return; // aborted
        }
        for (WriterEvent event : batch) {
            durable.add(event);
        }
        for (Execution e : finished) {
            hooks.execute(() -> onFinish(e));
        }
    }

    /** Applies changes, retrying with backoff while the database is unavailable; null if aborted meanwhile. */
    private Set<UUID> applyWithRetry(List<StatusChange> changes,
            java.util.function.Function<List<StatusChange>, Set<UUID>> transition) {
        long delayMs = 100;
        while (true) {
            try {
                return transition.apply(changes);
            } catch (DataAccessException e) {
                metrics.statusWriteFailed();
                if (isDataError(e)) {
                    return applyOneByOne(changes, transition);
                }
                if (aborted) {
                    return null;
                }
                log.warn("Writing {} status change(s) failed ({}); retrying in {} ms", changes.size(),
                        e.getMessage(), delayMs);
                sleep(delayMs);
                delayMs = Math.min(delayMs * 2, 5_000);
            }
        }
    }

    /**
     * A constraint or data error is not going away by retrying: find the change that causes it,
     * record the others, and log the culprit loudly (its record is still committed so the
     * partition keeps flowing).
     */
    private Set<UUID> applyOneByOne(List<StatusChange> changes,
            java.util.function.Function<List<StatusChange>, Set<UUID>> transition) {
        Set<UUID> applied = new HashSet<>();
        for (StatusChange change : changes) {
            try {
                applied.addAll(transition.apply(List.of(change)));
            } catch (DataAccessException e) {
                if (!isDataError(e)) {
                    throw e;
                }
                log.error("Status of task {} could not be recorded and is skipped: {}", change.id(), e.getMessage());
            }
        }
        return applied;
    }

    private static boolean isDataError(DataAccessException e) {
        String state = e.sqlState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /**
     * Produces the records a batch depends on and waits for Kafka's acknowledgement, retrying the
     * failed ones with backoff: the batch's offsets are only committed once all are acknowledged.
     * Dead letters and traces may be duplicated by a retry, never lost. False if aborted meanwhile.
     */
    private boolean produceAll(List<ProducerRecord<byte[], byte[]>> records) {
        List<ProducerRecord<byte[], byte[]>> pending = records;
        long delayMs = 100;
        while (!pending.isEmpty()) {
            List<Future<RecordMetadata>> sends = new ArrayList<>(pending.size());
            for (ProducerRecord<byte[], byte[]> r : pending) {
                sends.add(producer.send(r));
            }
            List<ProducerRecord<byte[], byte[]>> failed = new ArrayList<>();
            for (int i = 0; i < sends.size(); i++) {
                try {
                    sends.get(i).get();
                } catch (InterruptedException e) {
                    if (aborted) {
                        return false;
                    }
                    failed.add(pending.get(i));
                } catch (ExecutionException e) {
                    failed.add(pending.get(i));
                    log.warn("Producing to {} failed ({}); retrying in {} ms", pending.get(i).topic(),
                            e.getCause().getMessage(), delayMs);
                }
            }
            if (!failed.isEmpty()) {
                if (aborted) {
                    return false;
                }
                sleep(delayMs);
                delayMs = Math.min(delayMs * 2, 5_000);
            }
            pending = failed;
        }
        return true;
    }

    private ProducerRecord<byte[], byte[]> deadLetterRecord(WriterEvent.DeadLetter d) {
        log.warn("Dead-lettered {}-{}@{}: {}", d.record().topic(), d.record().partition(), d.record().offset(),
                d.reason());
        return DeadLetters.of(d.record(), d.reason(), clock.instant(), dlqTopic);
    }

    /**
     * The answer to an interactive request, sent as soon as the extension answered: the caller is
     * waiting, and its answer does not depend on the status write that follows. If this worker dies
     * before the status is durable, the task runs again and a second answer goes to a request that
     * is no longer waiting (ignored by the ingress).
     */
    void reply(Execution e) {
        if (e.route.kind() == Route.Kind.INTERACTIVE && e.task.replyTo() != null) {
            producer.send(replyRecord(e.task, e.invocation.interactiveReply()), (metadata, error) -> {
                if (error != null) {
                    log.warn("Interactive answer for task {} could not be produced: {}", e.task.id(), error.getMessage());
                }
            });
        }
    }

    static ProducerRecord<byte[], byte[]> replyRecord(Task task, InteractiveResult reply) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REPLY_TASK_ID, utf8(task.id().toString()));
        headers.add("content-type", utf8("application/json"));
        // Json.toBytes, not toString(): the shared mapper recycles its buffers across the execution
        // threads, where toString() allocated ~16 KB of fresh buffers per answer.
        return new ProducerRecord<>(task.replyTo(), null, utf8(task.id().toString()),
                Json.toBytes(JsonCodec.toJson(reply)), headers);
    }

    private List<ProducerRecord<byte[], byte[]>> traceRecords(StatusChange change) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (Transition t : change.transitions()) {
            records.add(traceRecord(change.id(), change.traceId(), change.topic(), t, change.attempt()));
        }
        return records;
    }

    private void publishTrace(Task task, List<Transition> transitions, int attempt) {
        if (task.traceId() != null) {
            for (Transition t : transitions) {
                producer.send(traceRecord(task.id(), task.traceId(), task.topic(), t, attempt));
            }
        }
    }

    private ProducerRecord<byte[], byte[]> traceRecord(UUID id, String traceId, String topic, Transition t, int attempt) {
        var json = Json.emptyObject()
                .put("taskId", id.toString())
                .put("traceId", traceId)
                .put("topic", topic)
                .put("from", t.from() == null ? null : t.from().wireName())
                .put("to", t.to().wireName())
                .put("at", t.at().toString())
                .put("attempt", attempt)
                .put("reason", t.reason())
                .put("node", node);
        return new ProducerRecord<>(traceTopic, utf8(traceId), json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Which extension classes implement onFinish: most keep the interface's no-op, and need no thread per task for it. */
    private static final ClassValue<Boolean> FINISH_HOOK = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                boolean background = BackgroundExtension.class.isAssignableFrom(type)
                        && type.getMethod("onFinish", Task.class, TaskResult.class).getDeclaringClass()
                                != BackgroundExtension.class;
                boolean interactive = InteractiveExtension.class.isAssignableFrom(type)
                        && type.getMethod("onFinish", Task.class, InteractiveResult.class).getDeclaringClass()
                                != InteractiveExtension.class;
                return background || interactive; // ScheduledExtension has no onFinish
            } catch (NoSuchMethodException | SecurityException e) {
                return true; // cannot tell: call it
            }
        }
    };

    static boolean hasFinishHook(Route route) {
        return FINISH_HOOK.get(route.extension().getClass());
    }

    private static void onFinish(Execution e) {
        try {
            switch (e.route.kind()) {
                case BACKGROUND -> ((BackgroundExtension) e.route.extension())
                        .onFinish(e.task, (TaskResult) finishedAnswer(e));
                case INTERACTIVE -> ((InteractiveExtension) e.route.extension())
                        .onFinish(e.task, e.invocation.interactiveReply());
                case SCHEDULED -> { /* ScheduledExtension has no onFinish */ }
            }
        } catch (Throwable t) {
            log.warn("onFinish of extension '{}' threw for task {}; the recorded outcome stands", e.route.extension().name(),
                    e.task.id(), t);
        }
    }

    /** The answer onFinish sees: the extension's result, or fail(message) when it threw and is out of attempts. */
    private static Object finishedAnswer(Execution e) {
        Object answer = e.invocation.answer();
        if (answer instanceof TaskResult || answer instanceof ScheduledResult) {
            return answer;
        }
        return switch (e.next.status()) {
            case RESCHEDULED -> TaskResult.reschedule(e.next.countdown());
            default -> TaskResult.fail(e.next.output());
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
