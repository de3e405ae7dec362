package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import org.slf4j.MDC;

/**
 * The task a thread is working on, in the SLF4J MDC: {@code task_id}, {@code topic},
 * {@code attempt} and, when the task has one, {@code trace_id}. The launcher's log formats (text
 * and JSON) print them, so every line written while a task runs, by Conveyor or by the
 * extension, says which task it belongs to.
 */
final class TaskLogContext {

    static final String TASK_ID = "task_id";
    static final String TRACE_ID = "trace_id";
    static final String TOPIC = "topic";
    static final String ATTEMPT = "attempt";

    private TaskLogContext() {}

    static void set(Task task) {
        MDC.put(TASK_ID, task.id().toString());
        MDC.put(TOPIC, task.topic());
        MDC.put(ATTEMPT, Integer.toString(task.attempt()));
        if (task.traceId() != null) {
            MDC.put(TRACE_ID, task.traceId());
        } else {
            MDC.remove(TRACE_ID);
        }
    }

    static void clear() {
        MDC.remove(TASK_ID);
        MDC.remove(TOPIC);
        MDC.remove(ATTEMPT);
        MDC.remove(TRACE_ID);
    }
}
