package dev.conveyor.worker.internal;

/** Whether this worker is stopping (gracefully) or aborted (like a crash); read by every thread. */
final class RunState {

    private volatile boolean stopping;
    private volatile boolean aborted;

    /** Intake stops; running executions may finish and be recorded. */
    void stop() {
        stopping = true;
    }

    /** Stops at once, committing nothing more. */
    void abort() {
        aborted = true;
        stopping = true;
    }

    boolean stopping() {
        return stopping;
    }

    boolean aborted() {
        return aborted;
    }
}
