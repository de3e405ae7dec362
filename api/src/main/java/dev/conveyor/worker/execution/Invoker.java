package dev.conveyor.worker.execution;

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
     * Runs the extension of {@code plan} on {@code task} in the calling thread (the execution's
     * virtual thread: no second thread and hand-off per task) and gives it at most the plan's
     * timeout. When the timeout passes, the {@link Watchdog} interrupts the calling thread and the
     * invocation ends as timed out, whatever the extension answers after that. An extension that
     * ignores the interrupt keeps the execution (and its concurrency slot) until it returns; its
     * answer is then discarded.
     *
     * @throws Abandoned if the calling thread was interrupted by something other than the timeout
     *     (the worker is stopping): the task is left undecided and will be delivered again
     */
    public static Invocation invoke(ExecutionPlan plan, Task task) throws Abandoned {
        // Every log line an extension writes while it runs carries the task (SLF4J MDC).
        TaskLogContext.set(task);
        try {
            return invokeInContext(plan, task);
        } finally {
            TaskLogContext.clear();
        }
    }

    /** {@link #invoke} on a thread whose log context already names {@code task} (the worker's executions). */
    public static Invocation invokeInContext(ExecutionPlan plan, Task task) throws Abandoned {
        if (Thread.currentThread().isInterrupted()) {
            throw new Abandoned(new InterruptedException("interrupted before the extension was called"));
        }
        Watchdog.Watch watch = Watchdog.INSTANCE.watch(plan.timeout(), task);
        Object answer = null;
        Throwable thrown = null;
        try {
            answer = switch (plan.kind()) {
                case BACKGROUND -> ((BackgroundExtension) plan.extension()).handle(task);
                case INTERACTIVE -> ((InteractiveExtension) plan.extension()).handle(task);
                case SCHEDULED -> ((ScheduledExtension) plan.extension()).run(task);
            };
        } catch (Throwable t) {
            thrown = t;
        }
        if (watch.end()) {
            return new Invocation(Outcome.timedOut(plan.timeout()), null);
        }
        if (Thread.currentThread().isInterrupted() || interruptedBy(thrown)) {
            // Not the timeout: the worker is stopping. Whatever the extension did, the task is undecided.
            Thread.currentThread().interrupt();
            throw new Abandoned(thrown);
        }
        return thrown != null ? new Invocation(Outcome.threw(thrown), null)
                : new Invocation(toOutcome(plan, answer), answer);
    }

    private static boolean interruptedBy(Throwable t) {
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Enforces invocation timeouts for every worker of the process with one daemon thread that
     * looks at the running invocations every {@value #TICK_MS} ms: registering an invocation is a
     * set insert, far cheaper than a timer or a thread per task. A timeout fires up to one tick late.
     */
    static final class Watchdog {

        static final long TICK_MS = 10;
        /** How long after its interrupt an extension may keep running before a warning names it. */
        static final long STUCK_WARNING_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        static final Watchdog INSTANCE = new Watchdog();
        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Watchdog.class);

        private final java.util.Set<Watch> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** Invocations interrupted at their timeout that have not returned yet. */
        private final java.util.Set<Watch> overdue = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile Thread thread;

        /** One invocation under watch. */
        final class Watch {
            private static final int RUNNING = 0;
            private static final int ENDED = 1;
            private static final int FIRING = 2;
            private static final int FIRED = 3;

            private final Thread caller = Thread.currentThread();
            private final long deadline;
            private final Task task;
            private final java.time.Duration timeout;
            private final java.util.concurrent.atomic.AtomicInteger state =
                    new java.util.concurrent.atomic.AtomicInteger(RUNNING);

            private Watch(long deadline, Task task, java.time.Duration timeout) {
                this.deadline = deadline;
                this.task = task;
                this.timeout = timeout;
            }

            /** The watchdog's side: interrupts the caller unless the invocation already ended. */
            private void fire() {
                if (state.compareAndSet(RUNNING, FIRING)) {
                    caller.interrupt();
                    state.set(FIRED);
                    overdue.add(this);
                }
            }

            /**
             * The caller's side, once the extension returned: true if the timeout fired first (its
             * interrupt is then cleared from the calling thread, which goes on to record the outcome).
             */
            boolean end() {
                running.remove(this);
                overdue.remove(this);
                if (state.compareAndSet(RUNNING, ENDED)) {
                    return false;
                }
                while (state.get() != FIRED) {
                    Thread.onSpinWait(); // the watchdog is between its two steps
                }
                Thread.interrupted();
                return true;
            }
        }

        Watch watch(java.time.Duration timeout, Task task) {
            long now = System.nanoTime();
            long nanos = timeout.toNanos();
            Watch w = new Watch(nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos, task, timeout);
            running.add(w);
            if (thread == null) {
                start();
            }
            return w;
        }

        private synchronized void start() {
            if (thread == null) {
                thread = Thread.ofPlatform().daemon().name("conveyor-invocation-timeouts").start(this::loop);
            }
        }

        private void loop() {
            while (true) {
                try {
                    Thread.sleep(TICK_MS);
                } catch (InterruptedException e) {
                    // never interrupted on purpose; keep watching
                }
                if (running.isEmpty() && overdue.isEmpty()) {
                    continue;
                }
                long now = System.nanoTime();
                for (Watch w : running) {
                    if (now - w.deadline >= 0) {
                        running.remove(w);
                        w.fire();
                    }
                }
                for (Watch w : overdue) {
                    if (now - w.deadline - STUCK_WARNING_NANOS >= 0 && overdue.remove(w)) {
                        // Java cannot stop a thread: the worker waits rather than run a second copy.
                        log.warn("Task {} (topic {}, attempt {}) is still running {} s after its timeout of {}: the "
                                + "extension ignores the interrupt. It keeps its concurrency slot, its key's turn and "
                                + "its partition's offset commits until it returns; then it is recorded as timed out.",
                                w.task.id(), w.task.topic(), w.task.attempt(),
                                java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(STUCK_WARNING_NANOS), w.timeout);
                    }
                }
            }
        }
    }

    private static Outcome toOutcome(ExecutionPlan plan, Object answer) {
        if (answer == null) {
            return new Outcome.Threw(NullPointerException.class.getName(),
                    "extension " + plan.extension().name() + " returned null");
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
