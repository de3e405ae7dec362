package dev.conveyor.producer;

import dev.conveyor.schema.Task;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the status rows of tasks Kafka acknowledged, by group commit: every accepted task is handed
 * to one writer thread, which takes whatever arrived from concurrent requests (up to
 * {@value #MAX_BATCH}) into one {@link StatusStore#recordQueued} statement (and one
 * {@link StatusStore#schedule} for future-dated tasks) while the next batch collects behind it. A
 * caller's future completes when its batch is durable, so a client holding its answer finds the
 * task's row from any node.
 *
 * <p>The wait is bounded: a task whose row is not written within {@link #WAIT_BOUND} (1 s: the
 * database is slow or unreachable), whose batch failed, or that finds {@value #MAX_WAITING} tasks
 * already waiting, completes with {@code false}, is counted on the failures counter and logged
 * (one WARN per {@value #WARN_EVERY_SECONDS} s at most). Nothing is lost by giving up: the task is
 * in Kafka, and the recorder consumer group writes its row later (a task still waiting here is
 * written too, once the database answers). The bound is a constant rather than a setting because
 * it only trades how long a request waits on a sick database against nothing else.
 *
 * <p>Thread-safe. The futures complete on this object's writer or watchdog thread: a caller that
 * chains slow work on them should use an {@code ...Async} stage.
 */
public final class AcceptedTasks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AcceptedTasks.class);
    /** How long a caller waits for its task's row at most; then it goes on without it. */
    public static final Duration WAIT_BOUND = Duration.ofSeconds(1);
    /** Tasks per statement, at most. */
    public static final int MAX_BATCH = 1000;
    /** Tasks waiting to be written, at most; more are given up at once (memory stays bounded). */
    public static final int MAX_WAITING = 50_000;
    static final long WARN_EVERY_SECONDS = 10;

    /** One accepted task: its change, when it was handed over ({@link System#nanoTime}), its caller's future. */
    private record Pending(StatusChange change, long since, CompletableFuture<Boolean> recorded) {}

    private final StatusStore store;
    private final String reason;
    private final Counter failures;
    private final long boundNanos;
    private final BlockingQueue<Pending> waiting;
    /** The batch the writer is writing now, for the watchdog. */
    private volatile List<Pending> writing = List.of();
    private final Thread writer;
    private final Thread watchdog;
    private final AtomicLong nextWarnNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong unwarned = new AtomicLong();
    private volatile boolean closed;

    private AcceptedTasks(StatusStore store, String reason, Counter failures, Duration bound, int capacity) {
        this.store = Objects.requireNonNull(store, "store");
        this.reason = Objects.requireNonNull(reason, "reason");
        this.failures = Objects.requireNonNull(failures, "failures");
        this.boundNanos = bound.toNanos();
        this.waiting = new LinkedBlockingQueue<>(capacity);
        this.writer = Thread.ofPlatform().daemon().name("conveyor-accepted-writer").start(this::writeLoop);
        this.watchdog = Thread.ofPlatform().daemon().name("conveyor-accepted-watchdog").start(this::watchLoop);
    }

    /**
     * Starts the writer.
     *
     * @param store where the rows go; its node is the one the history names
     * @param reason the first transition's reason, who accepted the tasks ("accepted by the ingress")
     * @param failures counts the tasks whose row was not written within the bound
     */
    public static AcceptedTasks start(StatusStore store, String reason, Counter failures) {
        return start(store, reason, failures, WAIT_BOUND, MAX_WAITING);
    }

    static AcceptedTasks start(StatusStore store, String reason, Counter failures, Duration bound, int capacity) {
        return new AcceptedTasks(store, reason, failures, bound, capacity);
    }

    /**
     * Hands over a task Kafka acknowledged: a {@code queued} row ({@link StatusChange#accepted}), or,
     * when {@code deliverAt} is set, the row and scheduled delivery of a future-dated task
     * ({@link StatusChange#scheduled}: a plain queued row would make the scheduler's own write of
     * that change a no-op, and the delivery would be lost).
     *
     * @return completes with true once the row is durable (or was there already), false when this
     *     gave up (see the class comment); never fails
     */
    public CompletableFuture<Boolean> record(Task task, Instant deliverAt) {
        StatusChange change = deliverAt == null ? StatusChange.accepted(task, reason)
                : StatusChange.scheduled(task, deliverAt, task.createdAt());
        Pending pending = new Pending(change, System.nanoTime(), new CompletableFuture<>());
        if (closed || !waiting.offer(pending)) {
            giveUp(pending, closed ? "the publisher is closing" : MAX_WAITING + " tasks are waiting already");
        }
        return pending.recorded();
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (!closed || !waiting.isEmpty()) {
            try {
                Pending first = waiting.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                waiting.drainTo(batch, MAX_BATCH - 1);
                writing = List.copyOf(batch);
                write(batch);
            } catch (InterruptedException e) {
                break; // close() gave up on what is left
            } finally {
                writing = List.of();
                batch.clear();
            }
        }
    }

    private void write(List<Pending> batch) {
        List<StatusChange> queued = new ArrayList<>(batch.size());
        List<StatusChange> scheduled = new ArrayList<>();
        for (Pending p : batch) {
            (p.change().delivery() == null ? queued : scheduled).add(p.change());
        }
        try {
            if (!queued.isEmpty()) {
                store.recordQueued(queued);
            }
            if (!scheduled.isEmpty()) {
                store.schedule(scheduled);
            }
        } catch (RuntimeException e) {
            // Kafka holds these tasks: the recorder consumer group writes their rows later.
            batch.forEach(p -> giveUp(p, "the database failed: " + e));
            return;
        }
        batch.forEach(p -> p.recorded().complete(true));
    }

    /** Gives up on the tasks that waited longer than the bound, in the writer's hands or still queued. */
    private void watchLoop() {
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), boundNanos / 10);
        String why = "the database did not answer within " + TimeUnit.NANOSECONDS.toMillis(boundNanos) + " ms";
        while (!closed) {
            try {
                TimeUnit.NANOSECONDS.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Pending p : writing) {
                if (now - p.since() >= boundNanos) {
                    giveUp(p, why);
                }
            }
            // Oldest first: stop at the first task still within its bound.
            for (Iterator<Pending> it = waiting.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (now - p.since() < boundNanos) {
                    break;
                }
                giveUp(p, why);
            }
        }
    }

    private void giveUp(Pending p, String why) {
        if (!p.recorded().complete(false)) {
            return; // written, or given up on, already
        }
        failures.increment();
        long now = System.nanoTime();
        long next = nextWarnNanos.get();
        if (now - next >= 0 && nextWarnNanos.compareAndSet(next, now + TimeUnit.SECONDS.toNanos(WARN_EVERY_SECONDS))) {
            long others = unwarned.getAndSet(0);
            log.warn("The status row of accepted task {} was not written ({}); Kafka has the task and the recorder "
                    + "writes its row later{}", p.change().id(), why,
                    others == 0 ? "" : " (" + others + " more since the last warning)");
        } else {
            unwarned.incrementAndGet();
        }
    }

    /** Writes what is waiting (for up to the bound), then gives up on the rest and stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(Duration.ofNanos(boundNanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.interrupt();
        watchdog.interrupt();
        writing.forEach(p -> giveUp(p, "the publisher closed"));
        for (Pending p; (p = waiting.poll()) != null; ) {
            giveUp(p, "the publisher closed");
        }
    }
}
