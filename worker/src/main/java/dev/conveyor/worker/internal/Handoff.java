package dev.conveyor.worker.internal;

/**
 * The hand-off step: where an execution reports that it started and how it ended. The completers
 * take it (see {@link Completers}); tests give their own.
 */
interface Handoff {

    /** The execution began at {@code at} (a long one gets a {@code running} row). */
    void started(Execution e, java.time.Instant at);

    /** The execution ended with an outcome: answer an interactive caller, then record it. */
    void finished(Execution.Ended ended);

    /** The execution ended without an outcome (worker stopping, partition revoked): nothing to record. */
    void abandoned(Execution e);
}
