package dev.conveyor.schema;

import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status a task moves to after one execution, and the one function that decides it.
 *
 * @param status the status to record: {@code done}, {@code failed}, {@code skipped} or {@code rescheduled}
 * @param countdown when {@code status} is {@code rescheduled}, how long until the next delivery
 *     (floors and backoff applied); null otherwise
 * @param output text to keep in {@code tasks.output}, or null
 * @param reason why, for the transition record
 * @param requestedReschedule true when the extension asked for the reschedule (it then does not
 *     count against max attempts and {@code tasks.reschedules} increases)
 */
public record NextStatus(TaskStatus status, Duration countdown, String output, String reason,
        boolean requestedReschedule) {

    private static final Logger log = LoggerFactory.getLogger(NextStatus.class);

    public NextStatus {
        Objects.requireNonNull(status, "status");
        if ((status == TaskStatus.RESCHEDULED) != (countdown != null)) {
            throw new IllegalArgumentException("a countdown goes with status rescheduled and only with it");
        }
    }

    /**
     * Decides the next status of a task after an execution.
     *
     * <ul>
     *   <li>{@code done}/{@code fail}/{@code skip} (and the interactive and scheduled equivalents)
     *       map to {@code done}, {@code failed}, {@code skipped}, keeping the output;</li>
     *   <li>{@code reschedule}/{@code slowProcessReschedule} map to {@code rescheduled} with the
     *       countdown raised to its floor; they never use up attempts;</li>
     *   <li>an open circuit breaker ({@link Outcome.CircuitOpen}) reschedules for the breaker's
     *       wait without using up an attempt (reason {@code circuit open});</li>
     *   <li>an exception or timeout is a failed execution: while fewer than
     *       {@code policy.maxAttempts()} executions have failed, the task is {@code rescheduled}
     *       after the backoff delay; the last one makes it {@code failed} with the message as output.</li>
     * </ul>
     *
     * @param outcome how the execution ended
     * @param attempt the delivery number that was executed (≥ 1)
     * @param reschedules how many reschedules the extension had asked for before this execution
     *     (so {@code attempt - 1 - reschedules} executions failed before this one)
     * @param policy the limits
     * @param random a uniform value in [0, 1) for backoff jitter
     */
    public static NextStatus of(Outcome outcome, int attempt, int reschedules, RetryPolicy policy, double random) {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(policy, "policy");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
        if (reschedules < 0 || reschedules > attempt - 1) {
            throw new IllegalArgumentException("reschedules must be between 0 and attempt - 1 (" + (attempt - 1)
                    + "), was " + reschedules);
        }
        return switch (outcome) {
            case Outcome.Background(TaskResult.Done d) -> finished(TaskStatus.DONE, null);
            case Outcome.Background(TaskResult.Fail f) -> finished(TaskStatus.FAILED, f.output());
            case Outcome.Background(TaskResult.Skip s) -> finished(TaskStatus.SKIPPED, s.output());
            case Outcome.Background(TaskResult.Reschedule r) ->
                    requested(r.countdown(), policy.rescheduleFloor(), "reschedule", "worker.reschedule-floor");
            case Outcome.Background(TaskResult.SlowReschedule r) -> requested(r.countdown(),
                    policy.slowRescheduleFloor(), "slow reschedule", "worker.slow-reschedule-floor");
            case Outcome.Interactive(InteractiveResult r) ->
                    finished(r.success() ? TaskStatus.DONE : TaskStatus.FAILED, r.output());
            case Outcome.Scheduled(ScheduledResult.Done d) -> finished(TaskStatus.DONE, null);
            case Outcome.Scheduled(ScheduledResult.Fail f) -> finished(TaskStatus.FAILED, f.output());
            // The same payload can never be read on a later attempt: fail at once instead of retrying.
            case Outcome.Threw t when t.exceptionType().equals(PayloadFormatException.class.getName()) -> new NextStatus(
                    TaskStatus.FAILED, null, t.message(), t.message() + " (permanent: the payload cannot be read, "
                    + "so it is not retried)", false);
            case Outcome.Threw t -> failedExecution(t.message(), attempt, reschedules, policy, random);
            case Outcome.TimedOut t -> failedExecution("timed out after " + t.timeout(), attempt, reschedules, policy,
                    random);
            // Not an execution: no attempt used, no output replaced; the floor does not apply (the
            // breaker's wait is the operator's choice).
            case Outcome.CircuitOpen c -> new NextStatus(TaskStatus.RESCHEDULED, c.openFor(), "circuit open",
                    "circuit open; retry in " + c.openFor(), true);
        };
    }

    private static NextStatus finished(TaskStatus status, String output) {
        return new NextStatus(status, null, output, output, false);
    }

    /** The countdown asked for, raised to {@code floor}; the reason says both when they differ. */
    private static NextStatus requested(Duration asked, Duration floor, String what, String floorKey) {
        if (asked.compareTo(floor) >= 0) {
            return new NextStatus(TaskStatus.RESCHEDULED, asked, null, what + " in " + human(asked), true);
        }
        return new NextStatus(TaskStatus.RESCHEDULED, floor, null, what + " asked " + human(asked) + ", raised to the "
                + human(floor) + " floor (" + floorKey + ")", true);
    }

    /** 5s, 90s → 1m30s, 1h, 250ms: what an operator reads in a task's history. */
    static String human(Duration d) {
        if (d.toMillis() < 1000) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        StringBuilder b = new StringBuilder();
        if (s >= 3600) {
            b.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            b.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0 || b.isEmpty()) {
            b.append(s).append('s');
        }
        return b.toString();
    }

    private static NextStatus failedExecution(String message, int attempt, int reschedules, RetryPolicy policy,
            double random) {
        int failures = attempt - reschedules; // failed executions including this one
        if (failures >= policy.maxAttempts()) {
            return new NextStatus(TaskStatus.FAILED, null, message,
                    message + " (attempts exhausted: " + failures + " of " + policy.maxAttempts() + ")", false);
        }
        Duration delay = policy.backoff().delay(failures, random);
        if (delay == null || delay.isNegative()) {
            // A custom backoff that answers nonsense must not lose the retry: use the default curve.
            Duration fallback = Backoff.defaults().delay(failures, random);
            log.warn("Backoff returned {} for failure {}; using the default backoff ({}) instead", delay, failures,
                    fallback);
            delay = fallback;
        }
        return new NextStatus(TaskStatus.RESCHEDULED, delay, message,
                message + " (retry " + failures + " of " + (policy.maxAttempts() - 1) + " in " + delay + ")", false);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
