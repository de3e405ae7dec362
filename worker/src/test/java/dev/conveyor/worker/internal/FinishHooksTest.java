package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FinishHooksTest {

    private final List<TaskResult> seen = new ArrayList<>();

    private final BackgroundExtension hooked = new BackgroundExtension() {
        @Override
        public Set<String> topics() {
            return Set.of(Parts.TOPIC);
        }

        @Override
        public TaskResult handle(Task task) {
            return TaskResult.done();
        }

        @Override
        public void onFinish(Task task, TaskResult result) {
            seen.add(result);
        }
    };

    private static Execution.Ended ended(Route route, Invoker.Invocation invocation, int attempt) {
        Task task = Parts.attempt(Parts.task(), attempt);
        return new Execution.Ended(Parts.execution(route, task), Instant.now(), Instant.now(), invocation,
                NextStatus.of(invocation.outcome(), attempt, 0, route.retry(), 0.5));
    }

    @Test
    void anExtensionWithoutItsOwnOnFinishNeedsNoHook() {
        assertThat(FinishHooks.hasFinishHook(Parts.route())).isFalse();
        assertThat(FinishHooks.hasFinishHook(Parts.route(hooked))).isTrue();
    }

    @Test
    void theHookSeesTheAnswer() {
        Route route = Parts.route(hooked);
        var done = ended(route, new Invoker.Invocation(Outcome.of(TaskResult.done()), TaskResult.done()), 1);
        assertThat(FinishHooks.wants(done)).isTrue();
        new FinishHooks(Runnable::run).run(done);
        assertThat(seen).containsExactly(TaskResult.done());
    }

    @Test
    void aFailureSeesTheHookOnlyWhenOutOfAttempts() {
        Route route = Parts.route(hooked);
        var threw = new Invoker.Invocation(new Outcome.Threw("E", "boom"), null);
        assertThat(FinishHooks.wants(ended(route, threw, 1))).as("a retry follows").isFalse();
        var last = ended(route, threw, route.retry().maxAttempts());
        assertThat(last.next().status()).isEqualTo(TaskStatus.FAILED);
        assertThat(FinishHooks.wants(last)).isTrue();
        FinishHooks.call(last);
        assertThat(seen).containsExactly(TaskResult.fail("boom"));
    }
}
