package dev.conveyor.schema;

import java.time.Duration;
import java.util.Objects;

/**
 * What a background (or webhook) extension answers for a task. Build one with the static
 * factories; the records are the values the worker records.
 *
 * <pre>{@code
 * public TaskResult handle(Task task) {
 *     if (!inventory.reserve(task.json().path("sku").asText())) {
 *         return TaskResult.reschedule(Duration.ofMinutes(2));   // try again later
 *     }
 *     return TaskResult.done();
 * }
 * }</pre>
 *
 * Countdowns are raised to the worker's floors when recorded: {@code worker.reschedule-floor}
 * (default 30 s) for {@link #reschedule(Duration)} and {@code worker.slow-reschedule-floor}
 * (default 300 s) for {@link #slowProcessReschedule(Duration)}. Reschedules do not count against
 * the task's max attempts; only executions that throw or time out do.
 */
public sealed interface TaskResult
        permits TaskResult.Done, TaskResult.Fail, TaskResult.Skip, TaskResult.Reschedule, TaskResult.SlowReschedule {

    /** Countdown of {@link #reschedule()}. */
    Duration DEFAULT_RESCHEDULE = Duration.ofSeconds(30);
    /** Countdown of {@link #slowProcessReschedule()}. */
    Duration DEFAULT_SLOW_RESCHEDULE = Duration.ofSeconds(300);

    /** Processed; the task becomes {@code done}. */
    static TaskResult done() {
        return Done.INSTANCE;
    }

    /** Processed and failed for good; the task becomes {@code failed} and keeps {@code output}. */
    static TaskResult fail(String output) {
        return new Fail(output);
    }

    /** Not processed, on purpose; the task becomes {@code skipped} and keeps {@code output}. */
    static TaskResult skip(String output) {
        return new Skip(output);
    }

    /** Run again after the default countdown (30 s). */
    static TaskResult reschedule() {
        return new Reschedule(DEFAULT_RESCHEDULE);
    }

    /**
     * Run again after {@code countdown}, raised to the reschedule floor.
     *
     * @throws IllegalArgumentException if the countdown is negative
     */
    static TaskResult reschedule(Duration countdown) {
        return new Reschedule(countdown);
    }

    /** Run again after the default slow countdown (300 s), for work waiting on something slow. */
    static TaskResult slowProcessReschedule() {
        return new SlowReschedule(DEFAULT_SLOW_RESCHEDULE);
    }

    /**
     * Run again after {@code countdown}, raised to the slow floor (default 300 s).
     *
     * @throws IllegalArgumentException if the countdown is negative
     */
    static TaskResult slowProcessReschedule(Duration countdown) {
        return new SlowReschedule(countdown);
    }

    /** Processed. */
    record Done() implements TaskResult {
        static final Done INSTANCE = new Done();
    }

    /** Processed, failed for good, with a message for operators. */
    record Fail(String output) implements TaskResult {
        public Fail {
            output = Objects.requireNonNullElse(output, "");
        }
    }

    /** Deliberately not processed, with a message for operators. */
    record Skip(String output) implements TaskResult {
        public Skip {
            output = Objects.requireNonNullElse(output, "");
        }
    }

    /** Run again after {@code countdown} (before the floor is applied). */
    record Reschedule(Duration countdown) implements TaskResult {
        public Reschedule {
            requireCountdown(countdown);
        }
    }

    /** Run again after {@code countdown} (before the slow floor is applied). */
    record SlowReschedule(Duration countdown) implements TaskResult {
        public SlowReschedule {
            requireCountdown(countdown);
        }
    }

    private static void requireCountdown(Duration countdown) {
        Objects.requireNonNull(countdown, "countdown");
        if (countdown.isNegative()) {
            throw new IllegalArgumentException("countdown must not be negative, was " + countdown);
        }
    }
}
