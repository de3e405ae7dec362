package dev.conveyor.worker.execution;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Task;

/**
 * The normalize step: what an invocation means for the task's stored status, by the same total
 * function every role uses ({@link NextStatus#of}). Knows nothing of the store or of Kafka, so the
 * extension test kit runs the very same step.
 */
public final class Normalizer {

    private Normalizer() {}

    /**
     * The status to record for {@code invocation} of delivery {@code task.attempt()}.
     *
     * @param reschedulesBefore reschedules the extension asked for in earlier deliveries
     * @param jitter a number in [0, 1) that places a retry's countdown within its jitter
     */
    public static NextStatus next(ExecutionPlan plan, Task task, int reschedulesBefore, Invoker.Invocation invocation,
            double jitter) {
        return NextStatus.of(invocation.outcome(), task.attempt(), reschedulesBefore, plan.retry(), jitter);
    }
}
