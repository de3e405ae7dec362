package dev.conveyor.schema;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The stored state of a task ({@code tasks.status}). Some states cannot be returned by an
 * extension: {@link #CANCELLED} is set by an operator, {@link #DEAD} when a record could not be
 * processed at all.
 *
 * <p>Within one attempt a task only moves forward: {@code queued → running → (rescheduled |
 * terminal)}. A rescheduled task becomes {@code queued} again with the next attempt number.
 * {@link #isForward} is the rule the status store applies to every write, so a stale worker
 * cannot overwrite a newer state.
 */
public enum TaskStatus {
    /** Waiting in Kafka for a worker. */
    QUEUED(0, false),
    /** An extension is executing it now. */
    RUNNING(1, false),
    /** Waiting in {@code scheduled_deliveries} for its countdown; the scheduler redelivers it. */
    RESCHEDULED(2, false),
    /** Processed successfully. */
    DONE(3, true),
    /** Processed and failed for good (by the extension's answer, or attempts exhausted). */
    FAILED(3, true),
    /** Not processed, on purpose (the extension said skip). */
    SKIPPED(3, true),
    /** Stopped by an operator before it finished. */
    CANCELLED(3, true),
    /** Could not be processed at all (undecodable record, no extension for its topic, delivery exhausted). */
    DEAD(3, true);

    private final int rank;
    private final boolean terminal;

    TaskStatus(int rank, boolean terminal) {
        this.rank = rank;
        this.terminal = terminal;
    }

    /** True for states a task never leaves on its own: done, failed, skipped, cancelled, dead. */
    public boolean isTerminal() {
        return terminal;
    }

    /** The name in the database and in JSON. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Order within one attempt: queued 0, running 1, rescheduled 2, terminal 3. */
    public int rank() {
        return rank;
    }

    /**
     * Whether a task at ({@code from}, {@code fromAttempt}) may move to ({@code to}, {@code toAttempt}).
     * A terminal task never moves (operator retry creates a new attempt explicitly); otherwise a
     * later attempt always wins and within one attempt the rank must increase.
     */
    public static boolean isForward(TaskStatus from, int fromAttempt, TaskStatus to, int toAttempt) {
        if (from.terminal) {
            return false;
        }
        if (toAttempt != fromAttempt) {
            return toAttempt > fromAttempt;
        }
        return to.rank > from.rank;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code value} is none of them
     */
    public static TaskStatus fromWire(String value) {
        for (TaskStatus status : values()) {
            if (status.wireName().equals(value)) {
                return status;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a task status; expected one of "
                + Arrays.stream(values()).map(TaskStatus::wireName).collect(Collectors.joining(", ")));
    }
}
