package dev.conveyor.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.ExtensionSettings;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InvokerTest {

    /** Runs {@code body} as its handle(), under a timeout of {@code timeout}. */
    private static ExecutionPlan route(Duration timeout, Handler body) {
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of("t");
            }

            @Override
            public ExtensionSettings settings() {
                return ExtensionSettings.builder().timeout(timeout).build();
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                return body.handle();
            }
        };
        return ExecutionPlan.resolve("t", ext, ExecutionSettings.defaults());
    }

    private interface Handler {
        TaskResult handle() throws Exception;
    }

    private static Task task() {
        return Task.builder().topic("t").payload("{}", "application/json").build();
    }

    @Test
    void answersInTheCallingThread() throws Exception {
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> ran = new AtomicReference<>();
        Invoker.Invocation inv = Invoker.invoke(route(Duration.ofSeconds(5), () -> {
            ran.set(Thread.currentThread());
            return TaskResult.done();
        }), task());
        assertThat(inv.outcome()).isInstanceOf(Outcome.Background.class);
        assertThat(inv.answer()).isEqualTo(TaskResult.done());
        assertThat(ran.get()).isSameAs(caller);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void timeoutInterruptsTheExtensionAndLeavesNoInterruptBehind() throws Exception {
        long t0 = System.nanoTime();
        Invoker.Invocation inv = Invoker.invoke(route(Duration.ofMillis(100), () -> {
            Thread.sleep(10_000);
            return TaskResult.done();
        }), task());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(inv.outcome()).isEqualTo(Outcome.timedOut(Duration.ofMillis(100)));
        assertThat(inv.answer()).isNull();
        assertThat(ms).isBetween(90L, 2_000L);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void anAnswerAfterTheTimeoutIsDiscarded() throws Exception {
        Invoker.Invocation inv = Invoker.invoke(route(Duration.ofMillis(50), () -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000);
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // ignores interrupts
            }
            return TaskResult.done();
        }), task());
        assertThat(inv.outcome()).isEqualTo(Outcome.timedOut(Duration.ofMillis(50)));
        assertThat(inv.answer()).isNull();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void exceptionsBecomeOutcomes() throws Exception {
        Invoker.Invocation inv = Invoker.invoke(route(Duration.ofSeconds(5), () -> {
            throw new IllegalStateException("boom");
        }), task());
        assertThat(inv.outcome()).isInstanceOf(Outcome.Threw.class);
        assertThat(((Outcome.Threw) inv.outcome()).message()).isEqualTo("boom");
    }

    @Test
    void anInterruptThatIsNotTheTimeoutAbandonsTheExecution() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> result = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Invoker.invoke(route(Duration.ofSeconds(30), () -> {
                    started.countDown();
                    Thread.sleep(10_000);
                    return TaskResult.done();
                }), task());
                result.set(new AssertionError("not abandoned"));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        t.interrupt();
        t.join(5_000);
        assertThat(result.get()).isInstanceOf(Invoker.Abandoned.class);
    }

    @Test
    void aFastAnswerIsNotTimedOutLater() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            Invoker.Invocation inv = Invoker.invoke(route(Duration.ofMillis(1), TaskResult::done), task());
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            assertThat(inv.outcome()).isIn(Outcome.of(TaskResult.done()), Outcome.timedOut(Duration.ofMillis(1)));
        }
        assertThatThrownBy(() -> {
            Thread.currentThread().interrupt();
            try {
                Invoker.invoke(route(Duration.ofSeconds(1), TaskResult::done), task());
            } finally {
                Thread.interrupted();
            }
        }).isInstanceOf(Invoker.Abandoned.class);
    }
}
