package dev.conveyor.worker.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;

/**
 * The bound on how far execution may run ahead of durable status: while {@code bound} outcomes are
 * pending (executions about to begin on an idle key or running, plus the completers' backlog),
 * newly routed records wait here, in poll order, and start as batches commit. So the status tables
 * stay within a batch or so of the work, and the countdown of a short reschedule is not used up
 * waiting behind a burst's writes.
 *
 * <p>Records waiting for their key's turn, a rate limiter or a concurrency slot do not count (a hot
 * key or a throttled topic does not hold up the others); records that may not wait (due scheduler
 * deliveries, interactive records) start at once. The queue and the room are the poll thread's; the
 * two counters are updated by the executions.
 */
final class WriteAheadGate {

    /** How many outcomes wait for the completers or are being written now (the completers answer). */
    @FunctionalInterface
    interface Backlog {
        int backlog();
    }

    private record Waiting(Polled polled, Runnable start) {}

    private final int bound;
    private final Backlog completers;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** Records that may still start in the current pass (see {@link #openPass}). */
    private int room;
    /** Executions handed to the sequencer on an idle key (or without one) that have not begun. */
    private final AtomicInteger unbegun = new AtomicInteger();
    /** Executions running now, up to handing their outcome to a completer. */
    private final AtomicInteger running = new AtomicInteger();

    WriteAheadGate(int bound, Backlog completers) {
        this.bound = bound;
        this.completers = completers;
    }

    /**
     * Starts a routing pass: the room is what the bound leaves now. Each record started takes room
     * for the rest of the pass, also one that queues behind its key and so is not counted pending
     * afterwards: one pass never starts more than the room.
     */
    void openPass() {
        room = bound - pending();
    }

    /** Starts {@code start} now if there is room (or it may not wait), else queues it behind the others. */
    void admit(Polled polled, boolean mayWait, Runnable start) {
        if (mayWait && (!waiting.isEmpty() || room <= 0)) {
            waiting.add(new Waiting(polled, start));
            return;
        }
        if (mayWait) {
            room--;
        }
        start.run();
    }

    /** Opens a pass and starts waiting records, in order, while there is room; returns how many still wait. */
    int startWaiting() {
        openPass();
        while (!waiting.isEmpty() && room > 0) {
            room--;
            waiting.poll().start().run();
        }
        return waiting.size();
    }

    /** Removes and returns the waiting records of the partitions {@code given} accepts. */
    List<Polled> giveUp(Predicate<TopicPartition> given) {
        List<Polled> out = new ArrayList<>();
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (given.test(w.polled().partition())) {
                it.remove();
                out.add(w.polled());
            }
        }
        return out;
    }

    boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    int waiting() {
        return waiting.size();
    }

    /** Outcomes on their way to the database: executions about to begin or running, plus the completers' backlog. */
    int pending() {
        return unbegun.get() + running.get() + completers.backlog();
    }

    /** An execution was handed to an idle key (it will begin soon). */
    void queued() {
        unbegun.incrementAndGet();
    }

    /** A {@link #queued} execution began. */
    void began() {
        unbegun.decrementAndGet();
    }

    /** An execution took its concurrency slot. */
    void runningStarted() {
        running.incrementAndGet();
    }

    /** An execution handed its outcome on (or gave up). */
    void runningEnded() {
        running.decrementAndGet();
    }
}
