package dev.conveyor.worker.internal;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs extensions' {@code onFinish} once an outcome is durable, on a thread of its own (a slow hook
 * must not hold up the batch). A hook that throws is logged; the recorded outcome stands.
 */
final class FinishHooks {

    private static final Logger log = LoggerFactory.getLogger(FinishHooks.class);

    /** Which extension classes implement onFinish: most keep the interface's no-op, and need no thread per task for it. */
    private static final ClassValue<Boolean> FINISH_HOOK = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                boolean background = BackgroundExtension.class.isAssignableFrom(type)
                        && type.getMethod("onFinish", Task.class, TaskResult.class).getDeclaringClass()
                                != BackgroundExtension.class;
                boolean interactive = InteractiveExtension.class.isAssignableFrom(type)
                        && type.getMethod("onFinish", Task.class, InteractiveResult.class).getDeclaringClass()
                                != InteractiveExtension.class;
                return background || interactive; // ScheduledExtension has no onFinish
            } catch (NoSuchMethodException | SecurityException e) {
                return true; // cannot tell: call it
            }
        }
    };

    private final Executor threads;

    FinishHooks(Executor threads) {
        this.threads = threads;
    }

    static boolean hasFinishHook(Route route) {
        return FINISH_HOOK.get(route.extension().getClass());
    }

    /** Whether {@code ended} calls a hook: it sees what the extension answered, or the final failure; not a retry in between. */
    static boolean wants(Execution.Ended ended) {
        return (ended.invocation().answer() != null || ended.next().status().isTerminal())
                && hasFinishHook(ended.execution().route());
    }

    /** Calls the hook of {@code ended} on a thread of its own. */
    void run(Execution.Ended ended) {
        threads.execute(() -> call(ended));
    }

    static void call(Execution.Ended ended) {
        Execution e = ended.execution();
        try {
            switch (e.route().kind()) {
                case BACKGROUND -> ((BackgroundExtension) e.route().extension())
                        .onFinish(e.task(), (TaskResult) finishedAnswer(ended));
                case INTERACTIVE -> ((InteractiveExtension) e.route().extension())
                        .onFinish(e.task(), ended.invocation().interactiveReply());
                case SCHEDULED -> { /* ScheduledExtension has no onFinish */ }
            }
        } catch (Throwable t) {
            log.warn("onFinish of extension '{}' threw for task {}; the recorded outcome stands",
                    e.route().extension().name(), e.task().id(), t);
        }
    }

    /** The answer onFinish sees: the extension's result, or fail(message) when it threw and is out of attempts. */
    static Object finishedAnswer(Execution.Ended ended) {
        Object answer = ended.invocation().answer();
        if (answer instanceof TaskResult || answer instanceof ScheduledResult) {
            return answer;
        }
        return switch (ended.next().status()) {
            case RESCHEDULED -> TaskResult.reschedule(ended.next().countdown());
            default -> TaskResult.fail(ended.next().output());
        };
    }
}
