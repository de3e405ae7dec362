package dev.conveyor.worker.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executions of one completer's tasks that are running, and whether their {@code running} row
 * was written (short executions never need one; a long one gets it after a while). Executions add
 * and mark their own; the completer reads, marks written, and takes the mark when it records the
 * outcome. Each mark is an immutable value replaced atomically in a map this class owns.
 */
final class RunningMarks {

    /** A running execution: when it started, whether it ended (outcome on its way), whether {@code running} was written. */
    record Running(Execution execution, Instant startedAt, boolean ended, boolean written) {}

    private final Map<Execution, Running> marks = new ConcurrentHashMap<>();

    /** The execution's thread: it began at {@code at}. */
    void started(Execution e, Instant at) {
        marks.put(e, new Running(e, at, false, false));
    }

    /** The execution's thread: its outcome is on its way to the completer (no {@code running} row is due any more). */
    void ended(Execution e) {
        marks.computeIfPresent(e, (k, r) -> new Running(e, r.startedAt(), true, r.written()));
    }

    /** The execution's thread: it ended without an outcome, nothing will ask for the mark. */
    void abandoned(Execution e) {
        marks.remove(e);
    }

    /** The completer: running executions that began before {@code cutoff} and have no {@code running} row yet. */
    List<Running> due(Instant cutoff) {
        List<Running> due = new ArrayList<>();
        for (Running r : marks.values()) {
            if (!r.ended() && !r.written() && r.startedAt().isBefore(cutoff)) {
                due.add(r);
            }
        }
        return due;
    }

    /** The completer: the {@code running} row of {@code e} was applied. */
    void written(Execution e) {
        marks.computeIfPresent(e, (k, r) -> new Running(e, r.startedAt(), r.ended(), true));
    }

    /** The completer, recording the outcome of {@code e}: takes its mark; whether its {@code running} row was written. */
    boolean take(Execution e) {
        Running r = marks.remove(e);
        return r != null && r.written();
    }

    int size() {
        return marks.size();
    }
}
