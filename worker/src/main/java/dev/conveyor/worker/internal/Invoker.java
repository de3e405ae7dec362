package dev.conveyor.worker.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.ScheduledExtension;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls the extension for one task under its timeout and turns whatever happens (an answer, an
 * exception, an error, a timeout, a null) into an {@link Outcome}. This is the edge where
 * {@code Throwable} is caught: nothing an extension does can break the worker loop.
 */
public final class Invoker {

    private static final String DONE_JSON = JsonCodec.toJson(TaskResult.done()).toString();

    private Invoker() {}

    /** What one execution produced. {@code answer} is the extension's result object, or null when it did not answer. */
    public record Invocation(Outcome outcome, Object answer) {

        /** The answer (or the error) as JSON for {@code tasks.result}. */
        public String resultJson() {
            if (answer instanceof TaskResult.Done) {
                return DONE_JSON; // most answers: the same text every time, not worth a serializer call each
            }
            ObjectNode json = switch (answer) {
                case TaskResult r -> JsonCodec.toJson(r);
                case InteractiveResult r -> JsonCodec.toJson(r);
                case ScheduledResult r -> JsonCodec.toJson(r);
                case null, default -> switch (outcome) {
                    case Outcome.Threw t -> Json.emptyObject().put("type", "error").put("exception", t.exceptionType())
                            .put("message", t.message());
                    case Outcome.TimedOut t -> Json.emptyObject().put("type", "timeout")
                            .put("timeout", t.timeout().toString());
                    default -> Json.emptyObject().put("type", "unknown");
                };
            };
            return json.toString();
        }

        /**
         * The HTTP answer for an interactive task: the extension's, or a 500 naming the failure
         * when it threw or timed out.
         */
        public InteractiveResult interactiveReply() {
            if (answer instanceof InteractiveResult r) {
                return r;
            }
            String message = switch (outcome) {
                case Outcome.Threw t -> t.message();
                case Outcome.TimedOut t -> "timed out after " + t.timeout();
                default -> "no answer";
            };
            return InteractiveResult.fail(500, Map.of(), Map.of("error", "extension failed", "detail", message), message);
        }
    }

    /** Thrown when the worker is being stopped while an execution waits; the execution is abandoned. */
    public static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;

        public Abandoned(Throwable cause) {
            super("execution abandoned: worker stopping", cause);
        }
    }

    /**
     * Runs the extension of {@code route} on {@code task} in a new virtual thread of
     * {@code executor} and waits at most the route's timeout. On timeout the execution's thread
     * is interrupted; an extension that ignores interrupts keeps its thread until it returns, but
     * its answer is discarded.
     *
     * @throws Abandoned if the calling thread is interrupted (the worker is stopping): the task
     *     is left undecided and will be delivered again
     */
    public static Invocation invoke(Route route, Task task, ExecutorService executor) throws Abandoned {
        Callable<Object> call = switch (route.kind()) {
            case BACKGROUND -> () -> ((BackgroundExtension) route.extension()).handle(task);
            case INTERACTIVE -> () -> ((InteractiveExtension) route.extension()).handle(task);
            case SCHEDULED -> () -> ((ScheduledExtension) route.extension()).run(task);
        };
        Callable<Object> logged = () -> {
            // Every log line an extension writes while it runs carries the task (SLF4J MDC).
            TaskLogContext.set(task);
            try {
                return call.call();
            } finally {
                TaskLogContext.clear();
            }
        };
        Future<Object> future = executor.submit(logged);
        try {
            Object answer = future.get(route.timeout().toNanos(), TimeUnit.NANOSECONDS);
            return new Invocation(toOutcome(route, answer), answer);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Invocation(Outcome.threw(cause), null);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Invocation(Outcome.timedOut(route.timeout()), null);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new Abandoned(e);
        }
    }

    private static Outcome toOutcome(Route route, Object answer) {
        if (answer == null) {
            return new Outcome.Threw(NullPointerException.class.getName(),
                    "extension " + route.extension().name() + " returned null");
        }
        return switch (answer) {
            case TaskResult r -> Outcome.of(r);
            case InteractiveResult r -> Outcome.of(r);
            case ScheduledResult r -> Outcome.of(r);
            default -> new Outcome.Threw(ClassCastException.class.getName(),
                    "extension returned " + answer.getClass().getName());
        };
    }
}
