package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.TraceRecords;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.TaskState;
import dev.conveyor.worker.execution.Invoker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A completer against a store and a producer of the test's own: batches, retries, side records, running marks. */
class CompleterTest {

    /** Applies everything (after {@code outages} failed calls); records what it was given. */
    private static final class FakeStore implements StatusStore {
        final List<StatusChange> applied = new CopyOnWriteArrayList<>();
        final AtomicInteger outages = new AtomicInteger();

        @Override
        public Map<UUID, TaskState> load(Collection<UUID> ids) {
            return Map.of();
        }

        @Override
        public Set<UUID> recordQueued(List<StatusChange> accepted) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Set<UUID> apply(List<StatusChange> changes) {
            if (outages.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new DataAccessException("connection refused");
            }
            applied.addAll(changes);
            Set<UUID> ids = new HashSet<>();
            changes.forEach(c -> ids.add(c.id()));
            return ids;
        }

        @Override
        public Set<UUID> markRunning(List<StatusChange> running) {
            return apply(running);
        }

        @Override
        public Set<UUID> recordOutcomes(List<StatusChange> outcomes) {
            return apply(outcomes);
        }

        @Override
        public Set<UUID> schedule(List<StatusChange> scheduled) {
            return apply(scheduled);
        }

        @Override
        public void requeueDue(List<Redelivery> due, Instant at) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Cancellation cancel(UUID id, String reason, Instant at) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver) {
            throw new UnsupportedOperationException();
        }
    }

    private final FakeStore store = new FakeStore();
    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    private final Settlements settled = new Settlements();
    private final List<WriterEvent> durable = new ArrayList<>();
    private final WorkerMetrics metrics = Parts.metrics();
    private final Completer completer = new Completer(new Completer.Parts(store, producer,
            new DeadLetterer("dlq", metrics, Clock.systemUTC()), new TransitionTracer(producer, "trace", "node-1"),
            new FinishHooks(Runnable::run), settled, metrics, Clock.systemUTC()), 100, Duration.ofMillis(50));
    private Thread thread;

    private void start() {
        thread = Thread.ofPlatform().start(completer);
    }

    @AfterEach
    void stop() throws InterruptedException {
        completer.abort();
        if (thread != null) {
            thread.interrupt();
            thread.join(5_000);
        }
    }

    private List<WriterEvent> awaitDurable(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            settled.drainTo(new Settlements.Sink() {
                @Override
                public void durable(WriterEvent event) {
                    durable.add(event);
                }

                @Override
                public void abandoned(Execution execution) {}
            });
            return durable.size() >= n;
        });
        return durable;
    }

    private static Execution.Ended done(Execution e, Instant startedAt) {
        return new Execution.Ended(e, startedAt, startedAt.plusMillis(5), new Invoker.Invocation(Outcome.of(dev.conveyor.schema.TaskResult.done()), null),
                NextStatus.of(Outcome.of(dev.conveyor.schema.TaskResult.done()), 1, 0, e.route().retry(), 0.5));
    }

    @Test
    void anOutcomeIsDurableAfterItsStatusIsWritten() {
        Execution e = Parts.execution(Parts.route(), Parts.task());
        completer.submit(new WriterEvent.Finished(done(e, Instant.now())));
        assertThat(completer.backlog()).isEqualTo(1);
        start();
        assertThat(awaitDurable(1)).singleElement().extracting(WriterEvent::offset).isEqualTo(0L);
        assertThat(store.applied).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(TaskStatus.DONE);
            assertThat(c.transitions()).as("running, then done: no running row was written").hasSize(2);
        });
        assertThat(completer.backlog()).isZero();
    }

    @Test
    void aDatabaseOutageIsWaitedOutAndNothingIsDurableMeanwhile() throws Exception {
        store.outages.set(2);
        completer.submit(new WriterEvent.Finished(done(Parts.execution(Parts.route(), Parts.task()), Instant.now())));
        start();
        Thread.sleep(150);
        settled.drainTo(new Settlements.Sink() {
            @Override
            public void durable(WriterEvent event) {
                durable.add(event);
            }

            @Override
            public void abandoned(Execution execution) {}
        });
        assertThat(durable).as("still retrying (100 ms, then 200 ms)").isEmpty();
        assertThat(awaitDurable(1)).hasSize(1);
        assertThat(store.outages).as("both failed calls were retried").hasValue(0);
    }

    @Test
    void aDeadLetterIsProducedWithItsRowBeforeItIsDurable() {
        Polled p = Parts.polled(P0, new PartitionOffsets(), 4, Parts.task());
        completer.submit(new WriterEvent.DeadLetter(P0, 4, p.record(), "bad", null));
        start();
        awaitDurable(1);
        assertThat(producer.history()).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("dlq");
            assertThat(new String(r.headers().lastHeader(DeadLetters.REASON).value())).isEqualTo("bad");
        });
        assertThat(metrics.deadLetters()).isEqualTo(1);
    }

    @Test
    void aTracedTasksTransitionsGoToTheTraceTopic() {
        Task task = Parts.task().toBuilder().traceId("trace-1").build();
        completer.submit(new WriterEvent.Finished(done(Parts.execution(Parts.route(), task), Instant.now())));
        start();
        awaitDurable(1);
        assertThat(producer.history()).hasSize(2).allSatisfy(r -> assertThat(r.topic()).isEqualTo("trace"));
        TraceRecords.Trace last = TraceRecords.read(new org.apache.kafka.clients.consumer.ConsumerRecord<>("trace", 0, 0,
                producer.history().get(1).key(), producer.history().get(1).value()));
        assertThat(last.to()).isEqualTo(TaskStatus.DONE);
        assertThat(last.node()).isEqualTo("node-1");
    }

    @Test
    void aLongExecutionGetsARunningRowAndItsOutcomeThenOnlyTheFinalTransition() {
        Execution e = Parts.execution(Parts.route(), Parts.task());
        Instant startedAt = Instant.now().minusSeconds(1);
        completer.running().started(e, startedAt);
        start();
        await().atMost(Duration.ofSeconds(5)).until(() -> store.applied.size() == 1);
        assertThat(store.applied.getFirst().status()).isEqualTo(TaskStatus.RUNNING);

        completer.running().ended(e);
        completer.submit(new WriterEvent.Finished(done(e, startedAt)));
        awaitDurable(1);
        assertThat(store.applied.get(1).transitions()).as("running was written already").hasSize(1);
        assertThat(completer.running().size()).isZero();
    }

    @Test
    void anAbortedCompleterMakesNothingDurable() throws Exception {
        store.outages.set(1_000);
        completer.submit(new WriterEvent.Finished(done(Parts.execution(Parts.route(), Parts.task()), Instant.now())));
        start();
        Thread.sleep(50);
        completer.abort();
        thread.interrupt();
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
        settled.drainTo(new Settlements.Sink() {
            @Override
            public void durable(WriterEvent event) {
                durable.add(event);
            }

            @Override
            public void abandoned(Execution execution) {}
        });
        assertThat(durable).isEmpty();
    }
}
