package dev.conveyor.worker.recorder;

/** Why the recorder wrote no row for a record (the {@code reason} tag of {@code conveyor.recorder.skipped}). */
enum Skip {
    /** Below the workers' committed offset ({@link WorkerOffsets}): the worker has written its row. */
    WORKERS_AHEAD("workers-ahead"),
    /** A scheduler's redelivery (attempt above 1, or a {@code conveyor_not_before} header): its row exists. */
    REDELIVERY("redelivery"),
    /** The record does not decode into a task: the worker dead-letters it. */
    UNDECODABLE("undecodable"),
    /** A task of a lean topic that may go without a row ({@link dev.conveyor.store.StatusModes#mayKeepNoRow}). */
    LEAN("lean");

    private final String tag;

    Skip(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }
}
