package dev.conveyor.worker.scheduler.internal;

import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.worker.internal.Retry;
import dev.conveyor.worker.scheduler.internal.Deliveries.Claimed;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces claimed-ahead deliveries at their due time and deletes their rows afterwards, so that
 * the database work never sits between a due time and its produce:
 * <pre>
 *   scheduler loop ── claim ahead ──▶ window (by due time) ── sender: produce when due ──▶ Kafka
 *                                                                       │ acknowledgements
 *                                        finisher: delete the rows ◀────┘ (many batches per statement)
 * </pre>
 * The window holds at most {@code capacity} rows, counted from claim until their records are
 * produced (acknowledged or failed) or given back: that is all the memory deliveries take, whatever
 * the backlog in the table. A produced row waits for the finisher as its id alone, so slow deletes
 * never hold up the next claims.
 *
 * <p>The sender produces a record up to {@code sendAhead} before its due time, marked with the
 * {@value ConveyorHeaders#NOT_BEFORE} header: the worker holds it and runs it at that time, never
 * earlier, so the trip through Kafka is behind it by then (under a burst of due deliveries that trip
 * is what made them late). With a zero {@code sendAhead} each record is produced at its due time.
 * Nothing is produced after its lease has (nearly) run out: such a row is left for the scheduler
 * that takes it over. A failed produce releases the row's claim so that it is claimed and produced
 * again at once.
 */
public final class DeliveryPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryPipeline.class);

    /** A row is not produced when less than this is left of its lease. */
    static final Duration LEASE_MARGIN = Duration.ofSeconds(2);
    /** Most rows deleted per statement. */
    private static final int MAX_FINISH = 5000;

    private final Deliveries deliveries;
    private final Clock clock;
    private final int capacity;
    private final Duration sendAhead;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Claimed> window =
            new PriorityQueue<>(Comparator.comparing(Claimed::dueAt).thenComparingLong(Claimed::id));
    /** Rows claimed whose records are not produced (or given back) yet; never above {@link #capacity}. */
    private final AtomicInteger held = new AtomicInteger();
    private final LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
    private final Thread sender;
    private final Thread finisher;
    private volatile boolean stopping;
    private volatile boolean finisherStopping;
    /** Sends whose acknowledgement has not arrived yet. */
    private final AtomicInteger unacknowledged = new AtomicInteger();

    /** A produced row's fate, reported by the producer's callback: only its id is kept from then on. */
    private record Outcome(long id, boolean acknowledged) {}

    /**
     * @param capacity most rows claimed ahead and not yet finished
     * @param sendAhead how long before its due time a record may be produced (zero: at its due time)
     */
    public DeliveryPipeline(Deliveries deliveries, Clock clock, int capacity, Duration sendAhead) {
        if (sendAhead.isNegative()) {
            throw new IllegalArgumentException("sendAhead must not be negative, was " + sendAhead);
        }
        this.deliveries = deliveries;
        this.clock = clock;
        this.capacity = capacity;
        this.sendAhead = sendAhead;
        this.sender = Thread.ofPlatform().name("conveyor-delivery-sender").unstarted(this::sendLoop);
        this.finisher = Thread.ofPlatform().name("conveyor-delivery-finisher").unstarted(this::finishLoop);
    }

    public void start() {
        sender.start();
        finisher.start();
    }

    /** How many more rows may be claimed now. */
    public int room() {
        return Math.max(0, capacity - held.get());
    }

    /**
     * Adds freshly claimed rows (in due order, as {@link Deliveries#claim} returns them); the
     * caller claimed no more than {@link #room()}. Rows already inside the send-ahead time are
     * produced right here, on the claiming thread: under a burst the claim threads then produce in
     * parallel instead of queueing thousands of records for the one sender. Rows that arrive after
     * {@link #close} began are given back at once.
     */
    public void add(List<Claimed> claimed) {
        if (claimed.isEmpty()) {
            return;
        }
        List<Claimed> sendNow;
        lock.lock();
        try {
            if (stopping) {
                sendNow = null;
            } else {
                held.addAndGet(claimed.size());
                Instant sendable = clock.instant().plus(sendAhead);
                int k = 0;
                while (k < claimed.size() && !claimed.get(k).dueAt().isAfter(sendable)) {
                    k++;
                }
                sendNow = claimed.subList(0, k);
                if (k < claimed.size()) {
                    window.addAll(claimed.subList(k, claimed.size()));
                    changed.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
        if (sendNow == null) {
            deliveries.release(claimed.stream().map(Claimed::id).toList());
            return;
        }
        for (Claimed c : sendNow) {
            sendOrGiveBack(c);
        }
    }

    /** Waits up to {@code max} for room in the window (rows finished). */
    public void awaitRoom(Duration max) throws InterruptedException {
        long nanos = max.toNanos();
        lock.lock();
        try {
            while (room() == 0 && nanos > 0 && !stopping) {
                nanos = changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- sender ------------------------------------------------------------------------------

    private void sendLoop() {
        List<Claimed> due = new ArrayList<>();
        while (!stopping) {
            try {
                takeDue(due);
            } catch (InterruptedException e) {
                break;
            }
            for (int i = 0; i < due.size(); i++) {
                sendOrGiveBack(due.get(i));
            }
            due.clear();
        }
    }

    /**
     * Waits until the earliest row in the window may be sent (its due time minus {@code sendAhead}),
     * then moves every such row to {@code out}.
     */
    private void takeDue(List<Claimed> out) throws InterruptedException {
        lock.lock();
        try {
            while (!stopping) {
                Claimed head = window.peek();
                Instant sendable = clock.instant().plus(sendAhead);
                if (head != null && !head.dueAt().isAfter(sendable)) {
                    while (head != null && !head.dueAt().isAfter(sendable)) {
                        out.add(window.poll());
                        head = window.peek();
                    }
                    return;
                }
                long nanos = head == null ? TimeUnit.SECONDS.toNanos(1)
                        : Math.max(1, Duration.between(sendable, head.dueAt()).toNanos());
                changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    private void sendOrGiveBack(Claimed c) {
        try {
            send(c);
        } catch (RuntimeException e) {
            // The producer refused the send outright (closed, or a serialization error): give the
            // row back so that it is claimed again rather than waiting out its lease.
            log.warn("Producing scheduled delivery {} failed ({}); its row is released", c.id(), e.toString());
            outcomes.add(new Outcome(c.id(), false));
            forget(1);
        }
    }

    private void send(Claimed c) {
        Instant now = clock.instant();
        if (!now.isBefore(c.claimedUntil().minus(LEASE_MARGIN))) {
            // Too late for this scheduler's lease: another scheduler may take the row over any
            // moment, and two producing it is what leases are for avoiding. It is delivered by
            // whoever claims it next.
            log.warn("Scheduled delivery {} of task {} reached its due time with its lease nearly over; "
                    + "leaving it to the next claim", c.id(), c.taskId());
            forget(1);
            return;
        }
        if (c.dueAt().isAfter(now)) {
            c.record().headers().remove(ConveyorHeaders.NOT_BEFORE);
            c.record().headers().add(ConveyorHeaders.NOT_BEFORE, c.dueAt().toString().getBytes(StandardCharsets.UTF_8));
        }
        unacknowledged.incrementAndGet();
        try {
            sendNow(c);
        } catch (RuntimeException e) {
            unacknowledged.decrementAndGet();
            throw e;
        }
    }

    private void sendNow(Claimed c) {
        deliveries.producer().send(c.record(), (metadata, error) -> {
            if (error == null) {
                deliveries.recordLateness(c.dueAt(), Instant.now());
            } else {
                log.warn("Producing scheduled delivery {} of task {} failed ({}); it is claimed again",
                        c.id(), c.taskId(), error.toString());
            }
            outcomes.add(new Outcome(c.id(), error == null));
            unacknowledged.decrementAndGet();
            // The record is out of memory now (its row waits for the finisher as an id): room for more.
            forget(1);
        });
    }

    // ---- finisher ----------------------------------------------------------------------------

    private void finishLoop() {
        List<Outcome> batch = new ArrayList<>();
        Retry retry = Retry.untilStopped();
        while (true) {
            try {
                if (batch.isEmpty()) {
                    Outcome first = outcomes.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (finisherStopping && unacknowledged.get() == 0 && outcomes.isEmpty()) {
                            return;
                        }
                        continue;
                    }
                    batch.add(first);
                    outcomes.drainTo(batch, MAX_FINISH - 1);
                }
                List<Long> acknowledged = new ArrayList<>(batch.size());
                List<Long> failed = new ArrayList<>();
                for (Outcome o : batch) {
                    (o.acknowledged() ? acknowledged : failed).add(o.id());
                }
                if (!acknowledged.isEmpty()) {
                    deliveries.afterProduce();
                }
                deliveries.finish(acknowledged, failed);
                batch.clear();
                retry.succeeded();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // The rows stay claimed; retried here until the database answers (or, if this
                // scheduler stops first, produced again by whoever claims them after the lease).
                if (finisherStopping) {
                    log.warn("Deleting {} delivered scheduled deliveries failed while stopping ({}); whoever "
                            + "claims them after the lease produces them again", batch.size(), e.getMessage());
                    return;
                }
                if (!retry.pauseAfter(log, "Deleting " + batch.size() + " delivered scheduled deliveries", e)) {
                    return; // interrupted
                }
            }
        }
    }

    private void forget(int rows) {
        held.addAndGet(-rows);
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops: rows not produced yet are released (claimable at once by any scheduler), produced
     * ones are awaited and deleted.
     */
    @Override
    public void close() {
        List<Long> unsent = new ArrayList<>();
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        join(sender);
        lock.lock();
        try {
            for (Claimed c : window) {
                unsent.add(c.id());
            }
            window.clear();
        } finally {
            lock.unlock();
        }
        try {
            deliveries.release(unsent);
        } catch (RuntimeException e) {
            log.warn("Releasing {} claimed scheduled deliveries failed ({}); they are delivered after their lease",
                    unsent.size(), e.getMessage());
        }
        finisherStopping = true;
        join(finisher);
    }

    private static void join(Thread t) {
        try {
            t.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
