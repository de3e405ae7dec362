package dev.conveyor.worker.execution;

import dev.conveyor.schema.Task;
import org.slf4j.MDC;

/**
 * The task a thread is working on, in the SLF4J MDC: {@code task_id}, {@code topic},
 * {@code attempt} and, when the task has one, {@code trace_id}. The launcher's log formats (text
 * and JSON) print them, so every line written while a task runs, by Conveyor or by the
 * extension, says which task it belongs to. Set by the worker's executions and by
 * {@link Invoker#invoke}.
 */
public final class TaskLogContext {

    public static final String TASK_ID = "task_id";
    public static final String TRACE_ID = "trace_id";
    public static final String TOPIC = "topic";
    public static final String ATTEMPT = "attempt";

    private TaskLogContext() {}

    /** Names {@code task} in the calling thread's MDC. */
    public static void set(Task task) {
        MDC.put(TASK_ID, task.id().toString());
        MDC.put(TOPIC, task.topic());
        MDC.put(ATTEMPT, Integer.toString(task.attempt()));
        if (task.traceId() != null) {
            MDC.put(TRACE_ID, task.traceId());
        } else {
            MDC.remove(TRACE_ID);
        }
    }

    /** Removes what {@link #set} put. */
    public static void clear() {
        MDC.remove(TASK_ID);
        MDC.remove(TOPIC);
        MDC.remove(ATTEMPT);
        MDC.remove(TRACE_ID);
    }
}
