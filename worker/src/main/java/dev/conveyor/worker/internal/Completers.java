package dev.conveyor.worker.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Several {@link Completer}s in parallel, each with its own thread and database connection. Events
 * of one task always go to the same completer (by task id), so a task's changes stay in order;
 * offsets may become durable out of order across completers, which the offset ledger absorbs (it
 * commits only up to the first gap). The executions' {@link Handoff}, and the write-ahead gate's
 * {@link WriteAheadGate.Backlog}.
 */
final class Completers implements Handoff, WriteAheadGate.Backlog {

    private final Completer[] completers;
    private final InteractiveReplier replies;
    private final List<Thread> threads = new ArrayList<>();

    Completers(int count, IntFunction<Completer> factory, InteractiveReplier replies) {
        completers = new Completer[count];
        for (int i = 0; i < count; i++) {
            completers[i] = factory.apply(i);
        }
        this.replies = replies;
    }

    void start() {
        for (int i = 0; i < completers.length; i++) {
            threads.add(Thread.ofPlatform().name("conveyor-status-writer-" + i).start(completers[i]));
        }
    }

    private Completer of(Execution e) {
        return completers[Math.floorMod(e.task().id().hashCode(), completers.length)];
    }

    void submit(WriterEvent event) {
        Completer c = switch (event) {
            case WriterEvent.Finished f -> of(f.execution());
            // All dead letters of a partition go through one completer: the DLQ keeps their order.
            case WriterEvent.DeadLetter d -> completers[Math.floorMod(d.partition().hashCode(), completers.length)];
        };
        c.submit(event);
    }

    /** Outcomes waiting for a completer or being written, over all completers. */
    @Override
    public int backlog() {
        int n = 0;
        for (Completer c : completers) {
            n += c.backlog();
        }
        return n;
    }

    @Override
    public void started(Execution e, Instant at) {
        of(e).running().started(e, at);
    }

    @Override
    public void finished(Execution.Ended ended) {
        Completer c = of(ended.execution());
        c.running().ended(ended.execution());
        replies.reply(ended);
        c.submit(new WriterEvent.Finished(ended));
    }

    @Override
    public void abandoned(Execution e) {
        of(e).running().abandoned(e);
    }

    void stop(Duration wait) {
        for (Completer c : completers) {
            c.stop();
        }
        join(wait);
    }

    void abort() {
        for (Completer c : completers) {
            c.abort();
        }
        threads.forEach(Thread::interrupt);
        join(Duration.ofSeconds(10));
    }

    private void join(Duration wait) {
        for (Thread t : threads) {
            try {
                t.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
