package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static dev.conveyor.worker.internal.Parts.P1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.worker.execution.Invoker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The consumer loop on Kafka's {@code MockConsumer}: offsets are committed only once outcomes are
 * durable, and giving partitions up commits every position without passing what is not durable.
 * Executions are stood in for by a starter that settles (or keeps) each record.
 */
class GroupConsumptionTest {

    /** Stays readable after the loop closed it, so a test can look at what was committed last. */
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized void close(Duration timeout) {
            closed = true;
        }
    };
    private volatile boolean closed;
    private final Settlements settled = new Settlements();
    private final List<Execution> started = new CopyOnWriteArrayList<>();
    /** Tasks whose executions keep running; every other one's outcome is durable at once. */
    private final Set<java.util.UUID> keepRunning = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final RunState state = new RunState();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private final GroupConsumption consumption;
    private Thread thread;

    GroupConsumptionTest() {
        Clock clock = Clock.systemUTC();
        OffsetLedger ledger = new OffsetLedger();
        HoldQueue holds = new HoldQueue(clock, System::nanoTime);
        WriteAheadGate gate = new WriteAheadGate(100, () -> 0);
        WorkerMetrics metrics = Parts.metrics();
        Route route = Parts.route();
        Dispatcher dispatcher = new Dispatcher(new Dispatcher.Parts(
                new Router(Map.of(Parts.TOPIC, route), new ExtensionConfigCache(null)), holds, gate, (p, e) -> {
                    started.add(e);
                    if (!keepRunning.contains(e.task().id())) {
                        Outcome done = Outcome.of(TaskResult.done());
                        settled.durable(new WriterEvent.Finished(new Execution.Ended(e, Instant.now(), Instant.now(),
                                new Invoker.Invocation(done, null), NextStatus.of(done, 1, 0, route.retry(), 0.5))));
                    }
                }, settled::durable, ids -> Map.of(), ledger, inFlight, metrics, clock, state));
        consumption = new GroupConsumption(new GroupConsumption.Parts(consumer, Set.of(Parts.TOPIC), dispatcher, ledger,
                holds, gate, settled, new PollDecoder(codec, Executors.newVirtualThreadPerTaskExecutor()), () -> {},
                metrics, inFlight, state), 1_000, Duration.ofSeconds(1));
    }

    private void start() throws InterruptedException {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        });
        thread = Thread.ofPlatform().start(consumption);
        assertThat(consumption.awaitAssignment(Duration.ofSeconds(5))).isTrue();
    }

    private void add(int partition, long offset, Task task) {
        add(partition, offset, codec.encode(task));
    }

    private void add(int partition, long offset, org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> r) {
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(Parts.TOPIC, partition, offset, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, -1, -1, r.key(), r.value(), r.headers(),
                java.util.Optional.empty())));
    }

    private long committed(org.apache.kafka.common.TopicPartition tp) {
        OffsetAndMetadata c = consumer.committed(Set.of(tp)).get(tp);
        return c == null ? -1 : c.offset();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (thread != null) {
            consumption.abort();
            thread.join(5_000);
        }
    }

    @Test
    void durableOutcomesAreCommitted() throws Exception {
        start();
        add(0, 0, Parts.task());
        add(0, 1, Parts.task());
        await().atMost(Duration.ofSeconds(5)).until(() -> committed(P0) == 2);
        assertThat(started).hasSize(2);
        assertThat(inFlight).hasValue(0);
        assertThat(consumption.ordering()).isEqualTo(dev.conveyor.worker.spi.Ordering.KEY);
    }

    @Test
    void aRecordWhoseOutcomeIsNotDurableIsNeverCommittedPastAndStoppingCommitsTheRest() throws Exception {
        start();
        add(0, 0, Parts.task());
        await().atMost(Duration.ofSeconds(5)).until(() -> committed(P0) == 1);
        Task running = Parts.task();
        keepRunning.add(running.id());
        add(0, 1, running);
        add(1, 0, Parts.task());
        await().atMost(Duration.ofSeconds(5)).until(() -> committed(P1) == 1);
        assertThat(started).hasSize(3);
        Thread.sleep(200);
        assertThat(committed(P0)).isEqualTo(1);

        consumption.stop();
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(closed).isTrue();
        assertThat(committed(P0)).as("the running one is redelivered to the next owner").isEqualTo(1);
        assertThat(inFlight).as("it did not finish within the grace").hasValue(1);
    }

    @Test
    void aRevokedPartitionsHeldRecordIsGivenUpAndItsOutcomeWaitedFor() throws Exception {
        start();
        Task held = Parts.task();
        var produced = codec.encode(held);
        produced.headers().add(dev.conveyor.schema.kafka.ConveyorHeaders.NOT_BEFORE,
                Instant.now().plusSeconds(30).toString().getBytes());
        add(0, 0, produced);
        add(0, 1, Parts.task());
        await().atMost(Duration.ofSeconds(5)).until(() -> started.size() == 1);
        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P1)));
        await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.get() == 0);
        assertThat(started).as("the held record never started").hasSize(1);
        assertThat(committed(P0)).as("not past the held record").isEqualTo(0);
    }
}
