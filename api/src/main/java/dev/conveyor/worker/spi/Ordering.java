package dev.conveyor.worker.spi;

/**
 * Which tasks of a topic may run at the same time.
 */
public enum Ordering {
    /**
     * Tasks with the same Kafka key run one at a time, in offset order; tasks with different keys
     * (and tasks without a key) run in parallel. A rescheduled task leaves the order: it comes
     * back later as a new delivery.
     */
    KEY,
    /** Any tasks may run in parallel, up to the concurrency limit. */
    NONE
}
