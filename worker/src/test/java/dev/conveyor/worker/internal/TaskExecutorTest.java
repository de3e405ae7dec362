package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.execution.Normalizer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The executor's pipeline (guard → invoke → normalize → hand off) with a hand-off of its own. */
class TaskExecutorTest {

    private final List<String> handedOff = new ArrayList<>();
    private final List<Execution.Ended> finished = new ArrayList<>();
    private final Settlements settled = new Settlements();
    private final List<Execution> abandoned = new ArrayList<>();
    private final RunState state = new RunState();
    private final WriteAheadGate gate = new WriteAheadGate(10, () -> 0);
    private final TaskExecutor executor = new TaskExecutor(new TaskExecutor.Parts(new Guard(4), new Handoff() {
        @Override
        public void started(Execution e, Instant at) {
            handedOff.add("started");
        }

        @Override
        public void finished(Execution.Ended ended) {
            handedOff.add("finished");
            finished.add(ended);
        }

        @Override
        public void abandoned(Execution e) {
            handedOff.add("abandoned");
        }
    }, settled, gate, Parts.metrics(), Clock.systemUTC(), state));

    private void settle() {
        settled.drainTo(new Settlements.Sink() {
            @Override
            public void durable(WriterEvent event) {}

            @Override
            public void abandoned(Execution execution) {
                abandoned.add(execution);
            }
        });
    }

    @Test
    void anAnswerIsNormalizedAndHandedOff() {
        executor.execute(Parts.execution(Parts.route(), Parts.task()));
        assertThat(handedOff).containsExactly("started", "finished");
        Execution.Ended ended = finished.getFirst();
        assertThat(ended.next().status()).isEqualTo(TaskStatus.DONE);
        assertThat(ended.invocation().answer()).isEqualTo(TaskResult.done());
        assertThat(ended.finishedAt()).isAfterOrEqualTo(ended.startedAt());
        assertThat(gate.pending()).as("no longer running").isZero();
    }

    @Test
    void anExceptionIsAFailedExecutionThatIsRetried() {
        executor.execute(Parts.execution(Parts.route(Parts.extension(task -> {
            throw new IllegalStateException("boom");
        })), Parts.task()));
        Execution.Ended ended = finished.getFirst();
        assertThat(ended.invocation().outcome()).isInstanceOf(Outcome.Threw.class);
        assertThat(ended.next().status()).isEqualTo(TaskStatus.RESCHEDULED);
    }

    @Test
    void anExecutionOfARevokedPartitionDoesNotStart() {
        AtomicInteger calls = new AtomicInteger();
        Execution e = Parts.execution(Parts.route(Parts.extension(task -> {
            calls.incrementAndGet();
            return TaskResult.done();
        })), Parts.task());
        e.offsets().revoke();
        executor.execute(e);
        settle();
        assertThat(calls).hasValue(0);
        assertThat(abandoned).containsExactly(e);
        assertThat(handedOff).isEmpty();
    }

    @Test
    void anInterruptThatIsNotTheTimeoutAbandonsTheExecution() {
        Execution e = Parts.execution(Parts.route(Parts.extension(task -> {
            Thread.currentThread().interrupt();
            return TaskResult.done();
        })), Parts.task());
        executor.execute(e);
        Thread.interrupted();
        settle();
        assertThat(handedOff).containsExactly("started", "abandoned");
        assertThat(abandoned).containsExactly(e);
    }

    @Test
    void anOpenCircuitReschedulesWithoutCallingTheExtension() {
        AtomicInteger calls = new AtomicInteger();
        WorkerConfig config = WorkerConfig.builder("k:9092")
                .circuitBreaker(new CircuitBreakerSettings(50, 2, Duration.ofMinutes(1))).build();
        Route route = Route.resolve(Parts.TOPIC, Parts.extension(task -> {
            calls.incrementAndGet();
            throw new IllegalStateException("down");
        }), config);
        for (int i = 0; i < 3; i++) {
            executor.execute(Parts.execution(route, Parts.task()));
        }
        assertThat(calls).hasValue(2);
        assertThat(finished.get(2).invocation().outcome()).isInstanceOf(Outcome.CircuitOpen.class);
        assertThat(finished.get(2).next().status()).isEqualTo(TaskStatus.RESCHEDULED);
    }

    @Test
    void normalizeIsTheSameFunctionTheTestKitUses() {
        Route route = Parts.route();
        Task task = Parts.attempt(Parts.task(), 3);
        Invoker.Invocation failed = new Invoker.Invocation(new Outcome.Threw("E", "m"), null);
        assertThat(Normalizer.next(route.plan(), task, 0, failed, 0.5))
                .isEqualTo(dev.conveyor.schema.NextStatus.of(failed.outcome(), 3, 0, route.retry(), 0.5));
    }
}
