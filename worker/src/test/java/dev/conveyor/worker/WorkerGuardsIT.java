package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Ordering;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-topic guards (Resilience4j): circuit breaker, rate limiter, bulkhead. */
@ConveyorIntegrationTest
class WorkerGuardsIT {

    private WorkerFixture fx;
    private final List<Worker> workers = new ArrayList<>();

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        workers.forEach(Worker::close);
        fx.close();
    }

    private Worker start(WorkerConfig config, SimpleMeterRegistry meters, BackgroundExtension ext) throws Exception {
        Worker w = Worker.start(config, new Worker.Collaborators(fx.db.dsl(), Extensions.of(ext), meters,
                Clock.systemUTC()));
        workers.add(w);
        assertThat(w.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        return w;
    }

    private static double breakerState(SimpleMeterRegistry meters, String topic, String state) {
        Gauge g = meters.find("resilience4j.circuitbreaker.state").tag("name", topic).tag("state", state).gauge();
        return g == null ? -1 : g.value();
    }

    @Test
    void anOpenBreakerReschedulesWithoutUsingAttemptsThenClosesAndTasksComplete() throws Exception {
        String topic = fx.kafka.createTopic("breaker", 1);
        AtomicBoolean broken = new AtomicBoolean(true);
        AtomicInteger calls = new AtomicInteger();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) {
                calls.incrementAndGet();
                if (broken.get()) {
                    throw new IllegalStateException("payment provider down");
                }
                return TaskResult.done();
            }
        };
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        WorkerConfig config = WorkerFixture.fastRetries(10).apply(fx.config()).concurrency(1).ordering(Ordering.NONE)
                .topics(Map.of(topic, new TopicSettings(null, null, null, null, null, null,
                        new CircuitBreakerSettings(50, 4, Duration.ofSeconds(1)))))
                .build();
        start(config, meters, ext);

        // Four failed executions out of a window of four: the breaker opens.
        List<Task> failing = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            failing.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
        }
        for (Task t : failing) {
            assertThat(fx.awaitStatus(t.id(), TaskStatus.RESCHEDULED).getOutput()).isEqualTo("payment provider down");
        }
        assertThat(breakerState(meters, topic, "open")).isEqualTo(1.0);

        // While open, a task is not run: rescheduled for the wait, reason "circuit open", no attempt used.
        int callsBefore = calls.get();
        Task blocked = fx.publish(fx.task(topic, "{\"n\":\"blocked\"}"));
        var row = fx.awaitStatus(blocked.id(), TaskStatus.RESCHEDULED);
        assertThat(calls.get()).as("the extension was not called").isEqualTo(callsBefore);
        assertThat(row.getOutput()).isEqualTo("circuit open");
        assertThat(row.getReschedules()).as("counted as a reschedule, not a failed attempt").isEqualTo(1);
        assertThat(fx.transitionReasons(blocked.id()).getLast()).startsWith("circuit open");
        assertThat(fx.delivery(blocked.id(), 2).getDueAt()).isAfter(row.getUpdatedAt().plusMillis(900));

        // The provider recovers; after the wait the breaker lets trial executions through and closes.
        broken.set(false);
        Awaitility.await("breaker half-open").atMost(Duration.ofSeconds(10))
                .until(() -> breakerState(meters, topic, "half_open") == 1.0);
        fx.deliverNow(blocked.id(), 2);
        fx.awaitStatus(blocked.id(), TaskStatus.DONE);
        for (int i = 0; i < 2; i++) {
            fx.awaitStatus(fx.publish(fx.task(topic, "{\"after\":" + i + "}")).id(), TaskStatus.DONE);
        }
        assertThat(breakerState(meters, topic, "closed")).isEqualTo(1.0);
    }

    @Test
    void theRateLimiterHoldsItsRate() throws Exception {
        String topic = fx.kafka.createTopic("rated", 2);
        ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) {
                starts.add(System.nanoTime());
                return TaskResult.done();
            }
        };
        WorkerConfig config = fx.config().ordering(Ordering.NONE)
                .topics(Map.of(topic, new TopicSettings(null, null, null, null, null, RateLimit.parse("5/s"), null)))
                .build();
        start(config, new SimpleMeterRegistry(), ext);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            tasks.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
        }
        for (Task t : tasks) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fx.row(t.id()) != null
                    && fx.row(t.id()).getStatus() == TaskStatus.DONE);
        }
        List<Long> sorted = starts.stream().sorted().toList();
        assertThat(sorted).hasSize(20);
        // 20 executions at 5 per second need four refresh cycles: at least two seconds from first to last.
        double span = (sorted.getLast() - sorted.getFirst()) / 1e9;
        assertThat(span).isBetween(2.0, 8.0);
        // And no second ever saw more than two cycles' worth.
        for (int i = 0; i < sorted.size(); i++) {
            long from = sorted.get(i);
            long inWindow = sorted.stream().filter(t -> t >= from && t < from + 1_000_000_000L).count();
            assertThat(inWindow).isLessThanOrEqualTo(10);
        }
    }

    @Test
    void theBulkheadCapsConcurrentExecutionsOfATopic() throws Exception {
        String topic = fx.kafka.createTopic("bulkhead", 4);
        AtomicInteger active = new AtomicInteger();
        AtomicInteger maxActive = new AtomicInteger();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                Thread.sleep(50);
                active.decrementAndGet();
                return TaskResult.done();
            }
        };
        WorkerConfig config = fx.config().ordering(Ordering.NONE).concurrency(64)
                .topics(Map.of(topic, new TopicSettings(null, null, 2, null, null))).build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        start(config, meters, ext);
        assertThat(meters.find("resilience4j.bulkhead.max.allowed.concurrent.calls").tag("name", topic).gauge().value())
                .isEqualTo(2.0);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            tasks.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
        }
        for (Task t : tasks) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        assertThat(maxActive.get()).isEqualTo(2);
    }
}
