package dev.conveyor.schema;

import java.time.Duration;
import java.util.Objects;

/**
 * How one execution of an extension ended: with an answer, by throwing, or by running out of
 * time. The worker turns every execution into one of these (catching {@code Throwable} at the
 * edge), and {@link NextStatus#of} turns it into the status to record.
 */
public sealed interface Outcome
        permits Outcome.Background, Outcome.Interactive, Outcome.Scheduled, Outcome.Threw, Outcome.TimedOut,
        Outcome.CircuitOpen {

    /** A background or webhook extension answered. */
    record Background(TaskResult result) implements Outcome {
        public Background {
            Objects.requireNonNull(result, "result (an extension must not return null)");
        }
    }

    /** An interactive extension answered. */
    record Interactive(InteractiveResult result) implements Outcome {
        public Interactive {
            Objects.requireNonNull(result, "result (an extension must not return null)");
        }
    }

    /** A scheduled extension answered. */
    record Scheduled(ScheduledResult result) implements Outcome {
        public Scheduled {
            Objects.requireNonNull(result, "result (an extension must not return null)");
        }
    }

    /** The extension threw. {@code message} is kept as the output or transition reason. */
    record Threw(String exceptionType, String message) implements Outcome {
        public Threw {
            Objects.requireNonNull(exceptionType, "exceptionType");
            message = message == null || message.isBlank() ? exceptionType : message;
        }
    }

    /** The extension did not answer within its timeout. */
    record TimedOut(Duration timeout) implements Outcome {
        public TimedOut {
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /**
     * The task was not run: its topic's circuit breaker is open for {@code openFor} more. It is
     * rescheduled for that long without using up an attempt.
     */
    record CircuitOpen(Duration openFor) implements Outcome {
        public CircuitOpen {
            Objects.requireNonNull(openFor, "openFor");
        }
    }

    static Outcome of(TaskResult result) {
        return new Background(result);
    }

    static Outcome of(InteractiveResult result) {
        return new Interactive(result);
    }

    static Outcome of(ScheduledResult result) {
        return new Scheduled(result);
    }

    /** The outcome of an execution that threw {@code error}; its message (or class name) is kept. */
    static Outcome threw(Throwable error) {
        Objects.requireNonNull(error, "error");
        return new Threw(error.getClass().getName(), error.getMessage());
    }

    static Outcome timedOut(Duration timeout) {
        return new TimedOut(timeout);
    }
}
