package dev.conveyor.worker.internal;

import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes outcomes durable, in batches, on a thread of its own: everything that arrived while the
 * previous batch was being written goes into the next one (small batches and low latency when
 * quiet, large ones under load). Per batch: one status transaction ({@link StatusWriter}), then the
 * side records that depend on it, acknowledged ({@link AcknowledgedSends}), then the records go back
 * to the poll thread for commit ({@link Settlements}), then the {@code onFinish} hooks run. Between
 * batches it writes {@code running} for executions that have been running a while.
 */
final class Completer implements Runnable, WriteAheadGate.Backlog {

    private static final Logger log = LoggerFactory.getLogger(Completer.class);
    private static final Duration RUNNING_SCAN = Duration.ofMillis(100);

    /** What every completer of a worker shares. */
    record Parts(StatusStore store, Producer<byte[], byte[]> producer, DeadLetterer deadLetters,
            TransitionTracer traces, FinishHooks hooks, Settlements settled, WorkerMetrics metrics, Clock clock) {}

    private final Parts parts;
    private final int batchSize;
    private final Duration runningMarkAfter;
    private final BlockingQueue<WriterEvent> events = new LinkedBlockingQueue<>();
    private final RunningMarks running = new RunningMarks();
    private final StatusWriter statuses;
    private final AcknowledgedSends sends;
    /** Size of the batch being written right now (0 between batches). */
    private volatile int writing;
    private volatile boolean stopping;
    private volatile boolean aborted;
    private Instant lastRunningScan = Instant.EPOCH;

    Completer(Parts parts, int batchSize, Duration runningMarkAfter) {
        this.parts = parts;
        this.batchSize = batchSize;
        this.runningMarkAfter = runningMarkAfter;
        this.statuses = new StatusWriter(parts.store(), parts.metrics(), () -> aborted);
        this.sends = new AcknowledgedSends(parts.producer(), () -> aborted);
    }

    void submit(WriterEvent event) {
        events.add(event);
    }

    /** The running executions of this completer's tasks (their threads mark them). */
    RunningMarks running() {
        return running;
    }

    /** Outcomes waiting for this completer or in the batch it is writing now. */
    @Override
    public int backlog() {
        return events.size() + writing;
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
                log.error("Completer failed on a batch of {}; its records will be redelivered", batch.size(), e);
            } finally {
                batch.clear();
                writing = 0;
            }
        }
    }

    /** Writes {@code running} for executions that have been running a while (short ones never need it). */
    private void markLongRunning() {
        Instant now = parts.clock().instant();
        if (Duration.between(lastRunningScan, now).compareTo(RUNNING_SCAN) < 0) {
            return;
        }
        lastRunningScan = now;
        List<RunningMarks.Running> due = running.due(now.minus(runningMarkAfter));
        if (due.isEmpty()) {
            return;
        }
        List<StatusChange> changes = new ArrayList<>(due.size());
        for (RunningMarks.Running r : due) {
            changes.add(r.execution().runningChange(r.startedAt()));
        }
        Set<UUID> applied = statuses.markRunning(changes);
        if (applied == null) {
            return;
        }
        for (int i = 0; i < due.size(); i++) {
            if (applied.contains(changes.get(i).id())) {
                running.written(due.get(i).execution());
                parts.traces().publish(changes.get(i));
            }
        }
    }

    private void write(List<WriterEvent> batch) {
        if (aborted) {
            return;
        }
        long t0 = System.nanoTime();
        List<StatusChange> changes = new ArrayList<>(batch.size());
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (WriterEvent event : batch) {
            switch (event) {
                case WriterEvent.Finished f -> changes.add(f.outcome().finishedChange(running.take(f.execution())));
                case WriterEvent.DeadLetter d -> {
                    records.add(parts.deadLetters().record(d));
                    if (d.dead() != null) {
                        changes.add(d.dead());
                    }
                }
            }
        }
        Set<UUID> applied = statuses.recordOutcomes(changes);
        if (applied == null) {
            return; // aborted
        }
        parts.metrics().statusWrite().record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        List<Execution.Ended> hooked = recorded(batch, applied);
        for (StatusChange c : changes) {
            if (c.traceId() != null && applied.contains(c.id())) {
                records.addAll(parts.traces().records(c));
            }
        }
        if (!sends.sendAll(records)) {
            return; // aborted
        }
        for (WriterEvent event : batch) {
            parts.settled().durable(event);
        }
        for (Execution.Ended ended : hooked) {
            parts.hooks().run(ended);
        }
    }

    /** Counts the batch's outcomes; the applied ones whose {@code onFinish} is to run. */
    private List<Execution.Ended> recorded(List<WriterEvent> batch, Set<UUID> applied) {
        List<Execution.Ended> hooked = new ArrayList<>();
        for (WriterEvent event : batch) {
            if (event instanceof WriterEvent.Finished f) {
                Execution.Ended ended = f.outcome();
                var task = ended.execution().task();
                parts.metrics().outcome(task.topic(), ended.next().status());
                if (applied.contains(task.id())) {
                    if (ended.next().status().isTerminal() && task.createdAt() != null) {
                        parts.metrics().endToEnd().record(Duration.between(task.createdAt(), parts.clock().instant()));
                    }
                    if (FinishHooks.wants(ended)) {
                        hooked.add(ended);
                    }
                }
            }
        }
        return hooked;
    }
}
