package dev.conveyor.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NextStatusTest {

    private static final RetryPolicy POLICY = RetryPolicy.defaults().withBackoff(
            Backoff.exponential(Duration.ofSeconds(1), Duration.ofMinutes(5), 2.0, 0.0));

    private static NextStatus next(Outcome outcome, int attempt, int reschedules) {
        return NextStatus.of(outcome, attempt, reschedules, POLICY, 0.5);
    }

    @Test
    void finishedResultsMapToTerminalStatusesKeepingOutput() {
        assertThat(next(Outcome.of(TaskResult.done()), 1, 0))
                .isEqualTo(new NextStatus(TaskStatus.DONE, null, null, null, false));
        assertThat(next(Outcome.of(TaskResult.fail("card declined")), 1, 0).status()).isEqualTo(TaskStatus.FAILED);
        assertThat(next(Outcome.of(TaskResult.fail("card declined")), 1, 0).output()).isEqualTo("card declined");
        NextStatus skipped = next(Outcome.of(TaskResult.skip("duplicate")), 3, 1);
        assertThat(skipped.status()).isEqualTo(TaskStatus.SKIPPED);
        assertThat(skipped.output()).isEqualTo("duplicate");
        assertThat(skipped.countdown()).isNull();
    }

    @Test
    void anOpenCircuitReschedulesForTheWaitWithoutUsingAnAttempt() {
        NextStatus open = next(new Outcome.CircuitOpen(Duration.ofSeconds(7)), 4, 3);
        assertThat(open.status()).isEqualTo(TaskStatus.RESCHEDULED);
        assertThat(open.countdown()).as("not raised to the reschedule floor").isEqualTo(Duration.ofSeconds(7));
        assertThat(open.requestedReschedule()).isTrue();
        assertThat(open.reason()).startsWith("circuit open");
        // Even with every attempt but one used by failures, an open circuit never fails the task.
        assertThat(next(new Outcome.CircuitOpen(Duration.ofSeconds(7)), 5, 0).status()).isEqualTo(TaskStatus.RESCHEDULED);
    }

    @Test
    void rescheduleIsRaisedToTheFloorAndDoesNotUseAttempts() {
        NextStatus shortOne = next(Outcome.of(TaskResult.reschedule(Duration.ofSeconds(5))), 1, 0);
        assertThat(shortOne.status()).isEqualTo(TaskStatus.RESCHEDULED);
        assertThat(shortOne.countdown()).isEqualTo(Duration.ofSeconds(30));
        assertThat(shortOne.requestedReschedule()).isTrue();
        assertThat(shortOne.reason()).as("the history says what was asked and why it changed")
                .isEqualTo("reschedule asked 5s, raised to the 30s floor (worker.reschedule-floor)");

        NextStatus longOne = next(Outcome.of(TaskResult.reschedule(Duration.ofMinutes(2))), 1, 0);
        assertThat(longOne.countdown()).isEqualTo(Duration.ofMinutes(2));
        assertThat(longOne.reason()).isEqualTo("reschedule in 2m");
        assertThat(next(Outcome.of(TaskResult.slowProcessReschedule(Duration.ofSeconds(90))), 1, 0).reason())
                .isEqualTo("slow reschedule asked 1m30s, raised to the 5m floor (worker.slow-reschedule-floor)");
        assertThat(next(Outcome.of(TaskResult.reschedule()), 1, 0).countdown()).isEqualTo(Duration.ofSeconds(30));

        // Even at attempt 50 (49 reschedules before), a reschedule stays a reschedule: max attempts is 5.
        assertThat(next(Outcome.of(TaskResult.reschedule()), 50, 49).status()).isEqualTo(TaskStatus.RESCHEDULED);
    }

    @Test
    void slowRescheduleIsRaisedToTheSlowFloor() {
        assertThat(next(Outcome.of(TaskResult.slowProcessReschedule(Duration.ofSeconds(10))), 1, 0).countdown())
                .isEqualTo(Duration.ofSeconds(300));
        assertThat(next(Outcome.of(TaskResult.slowProcessReschedule()), 1, 0).countdown())
                .isEqualTo(Duration.ofSeconds(300));
        assertThat(next(Outcome.of(TaskResult.slowProcessReschedule(Duration.ofMinutes(10))), 1, 0).countdown())
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void configuredFloorsApplyAndTheSlowFloorCannotGoBelow300Seconds() {
        RetryPolicy policy = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(10), Backoff.defaults());
        assertThat(policy.slowRescheduleFloor()).isEqualTo(Duration.ofSeconds(300));
        assertThat(NextStatus.of(Outcome.of(TaskResult.reschedule(Duration.ofSeconds(2))), 1, 0, policy, 0.5)
                .countdown()).isEqualTo(Duration.ofSeconds(2));
        assertThat(NextStatus.of(Outcome.of(TaskResult.reschedule(Duration.ZERO)), 1, 0, policy, 0.5)
                .countdown()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void exceptionsRetryWithBackoffUntilMaxAttemptsThenFail() {
        Outcome boom = Outcome.threw(new IllegalStateException("db down"));
        NextStatus first = next(boom, 1, 0);
        assertThat(first.status()).isEqualTo(TaskStatus.RESCHEDULED);
        assertThat(first.countdown()).isEqualTo(Duration.ofSeconds(1));
        assertThat(first.requestedReschedule()).isFalse();
        assertThat(first.reason()).contains("db down");
        assertThat(next(boom, 2, 0).countdown()).isEqualTo(Duration.ofSeconds(2));
        assertThat(next(boom, 4, 0).countdown()).isEqualTo(Duration.ofSeconds(8));
        NextStatus last = next(boom, 5, 0);
        assertThat(last.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(last.output()).isEqualTo("db down");
        assertThat(last.reason()).contains("attempts exhausted");
    }

    @Test
    void reschedulesDoNotCountAgainstMaxAttempts() {
        Outcome boom = Outcome.threw(new RuntimeException("flaky"));
        // Attempt 7 after 3 reschedules: this is the 4th failed execution, max is 5 -> retry.
        assertThat(next(boom, 7, 3).status()).isEqualTo(TaskStatus.RESCHEDULED);
        // Attempt 8 after 3 reschedules: 5th failed execution -> failed.
        assertThat(next(boom, 8, 3).status()).isEqualTo(TaskStatus.FAILED);
    }

    @Test
    void timeoutsCountAsFailedExecutions() {
        NextStatus timedOut = next(Outcome.timedOut(Duration.ofSeconds(20)), 1, 0);
        assertThat(timedOut.status()).isEqualTo(TaskStatus.RESCHEDULED);
        assertThat(timedOut.output()).contains("timed out after PT20S");
        assertThat(NextStatus.of(Outcome.timedOut(Duration.ofSeconds(20)), 1, 0, POLICY.withMaxAttempts(1), 0.5)
                .status()).isEqualTo(TaskStatus.FAILED);
    }

    @Test
    void exceptionWithoutMessageKeepsItsClassName() {
        assertThat(next(Outcome.threw(new NullPointerException()), 5, 0).output())
                .isEqualTo("java.lang.NullPointerException");
    }

    @Test
    void interactiveAndScheduledResultsMapToDoneOrFailed() {
        assertThat(next(Outcome.of(InteractiveResult.done()), 1, 0).status()).isEqualTo(TaskStatus.DONE);
        NextStatus failed = next(Outcome.of(InteractiveResult.fail(422, Map.of(), "bad", "invalid quote")), 1, 0);
        assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(failed.output()).isEqualTo("invalid quote");
        assertThat(next(Outcome.of(ScheduledResult.done()), 1, 0).status()).isEqualTo(TaskStatus.DONE);
        assertThat(next(Outcome.of(ScheduledResult.fail("report empty")), 1, 0).output()).isEqualTo("report empty");
    }

    @Test
    void aBackoffAnsweringANegativeDelayFallsBackToTheDefault() {
        RetryPolicy broken = POLICY.withBackoff((failures, random) -> Duration.ofSeconds(-5));
        NextStatus next = NextStatus.of(Outcome.threw(new RuntimeException("x")), 1, 0, broken, 0.5);
        assertThat(next.countdown()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void rejectsImpossibleArguments() {
        assertThatThrownBy(() -> next(Outcome.of(TaskResult.done()), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attempt");
        assertThatThrownBy(() -> next(Outcome.of(TaskResult.done()), 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reschedules");
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Backoff.defaults()))
                .hasMessageContaining("worker.max-attempts");
    }

    @Test
    void anUnreadablePayloadFailsAtOnceInsteadOfBeingRetried() {
        NextStatus next = next(new Outcome.Threw(PayloadFormatException.class.getName(),
                "payload of type text/plain cannot be read as JSON, a form or XML"), 1, 0);
        assertThat(next.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(next.countdown()).isNull();
        assertThat(next.output()).isEqualTo("payload of type text/plain cannot be read as JSON, a form or XML");
        assertThat(next.reason()).endsWith("(permanent: the payload cannot be read, so it is not retried)");
        assertThat(next(new Outcome.Threw(IllegalStateException.class.getName(), "db down"), 1, 0).status())
                .as("other exceptions are retried").isEqualTo(TaskStatus.RESCHEDULED);
    }
}
