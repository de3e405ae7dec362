package dev.conveyor.worker.recorder;

import static dev.conveyor.worker.recorder.TestRecords.plain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.schema.TaskIds;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The recorder's loop on Kafka's {@code MockConsumer} and a store that only answers
 * {@code recordQueued}: one write per poll, offsets committed only once the write returned, a
 * database outage waited out without committing.
 */
class RecorderLoopTest {

    private static final TopicPartition P0 = new TopicPartition("clicks", 0);
    private static final TopicPartition P1 = new TopicPartition("clicks", 1);

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    /** Each recordQueued call's batch, in call order. */
    private final List<List<StatusChange>> writes = new CopyOnWriteArrayList<>();
    /** recordQueued calls that fail (database down) before the calls work again. */
    private final AtomicInteger failuresLeft = new AtomicInteger();
    /** What was committed when each write began: nothing of that write's poll may be in it. */
    private final List<Map<TopicPartition, OffsetAndMetadata>> committedAtWrite = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private QueuedRecorder recorder;

    private final StatusStore store = (StatusStore) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {StatusStore.class}, (proxy, method, args) -> {
                if (!method.getName().equals("recordQueued")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                committedAtWrite.add(consumer.committed(Set.of(P0, P1)));
                if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new DataAccessException("connection refused");
                }
                @SuppressWarnings("unchecked")
                List<StatusChange> batch = (List<StatusChange>) args[0];
                writes.add(batch);
                return batch.stream().map(StatusChange::id).collect(Collectors.toSet());
            });

    @AfterEach
    void stop() {
        if (recorder != null) {
            recorder.close();
        }
    }

    private void start() {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        });
        recorder = QueuedRecorder.start(consumer, Set.of("clicks"),
                new QueuedRecorder.Collaborators(store, meters, Clock.systemUTC()));
    }

    private Map<TopicPartition, OffsetAndMetadata> committed() {
        return consumer.committed(Set.of(P0, P1));
    }

    @Test
    void onePollIsOneWriteThenOneCommit() throws InterruptedException {
        start();
        assertThat(recorder.awaitAssignment(Duration.ofSeconds(5))).isTrue();
        consumer.schedulePollTask(() -> {
            consumer.addRecord(plain("clicks", 0, 0));
            consumer.addRecord(plain("clicks", 0, 1));
            consumer.addRecord(plain("clicks", 1, 0));
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> committed().size() == 2);
        assertThat(writes).hasSize(1);
        assertThat(writes.getFirst()).extracting(StatusChange::id).containsExactlyInAnyOrder(
                TaskIds.forRecord("clicks", 0, 0), TaskIds.forRecord("clicks", 0, 1), TaskIds.forRecord("clicks", 1, 0));
        assertThat(committedAtWrite.getFirst()).isEmpty();
        assertThat(committed()).isEqualTo(Map.of(P0, new OffsetAndMetadata(2), P1, new OffsetAndMetadata(1)));
        assertThat(recorder.metrics().recorded()).isEqualTo(3);
        assertThat(recorder.metrics().lag().count()).isEqualTo(3);
    }

    @Test
    void aDatabaseOutageIsWaitedOutAndNothingIsCommittedBeforeTheWriteWorks() {
        failuresLeft.set(3); // 100 + 200 + 400 ms of pauses
        start();
        consumer.schedulePollTask(() -> consumer.addRecord(plain("clicks", 0, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> !committed().isEmpty());
        assertThat(committedAtWrite).hasSize(4).allSatisfy(c -> assertThat(c).isEmpty());
        assertThat(writes).hasSize(1);
        assertThat(committed()).isEqualTo(Map.of(P0, new OffsetAndMetadata(1)));
        assertThat(meters.get("conveyor.recorder.write.failures").counter().count()).isEqualTo(3);
    }

    @Test
    void aStopDuringAnOutageCommitsNothing() {
        failuresLeft.set(Integer.MAX_VALUE);
        start();
        consumer.schedulePollTask(() -> consumer.addRecord(plain("clicks", 0, 0)));
        await().atMost(Duration.ofSeconds(5)).until(() -> committedAtWrite.size() >= 2);
        recorder.close();
        recorder = null;
        assertThat(writes).isEmpty();
        assertThat(consumer.closed()).isTrue();
    }

    @Test
    void aPollWithOnlySkippedRecordsWritesNothingAndCommits() {
        start();
        consumer.schedulePollTask(() -> {
            var redelivery = TestRecords.encoded(dev.conveyor.schema.Task.builder().topic("clicks").type("t")
                    .attempt(3).build(), 0, 0);
            consumer.addRecord(redelivery);
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> !committed().isEmpty());
        assertThat(writes).isEmpty();
        assertThat(meters.get("conveyor.recorder.skipped").tag("reason", "redelivery").counter().count())
                .isEqualTo(1);
    }

}
