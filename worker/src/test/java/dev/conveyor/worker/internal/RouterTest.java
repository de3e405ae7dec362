package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.store.TaskState;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RouterTest {

    private final Route route = Parts.route();
    private final Router router = new Router(Map.of(Parts.TOPIC, route), new ExtensionConfigCache(null));
    private final AttemptClaims<Polled> claims = new AttemptClaims<>();
    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");

    private Polled claimed(Task task) {
        Polled p = Parts.polled(P0, new PartitionOffsets(), 3, task);
        claims.claim(task.id(), task.attempt(), p);
        return p;
    }

    @Test
    void aClaimedRecordWithoutARecordedOutcomeRunsWithItsExtensionConfig() {
        Task task = Parts.task();
        Polled p = claimed(task);
        var decision = router.decide(p, null, claims, now);
        assertThat(decision).isInstanceOf(Router.Decision.Run.class);
        Execution e = ((Router.Decision.Run) decision).execution();
        assertThat(e.task().id()).isEqualTo(task.id());
        assertThat(e.task().config()).isNotNull();
        assertThat(e.offset()).isEqualTo(3);
        assertThat(e.route()).isSameAs(route);
        assertThat(e.offsets()).isSameAs(p.offsets());
    }

    @Test
    void aStoredLaterStateMeansTheAttemptIsRecorded() {
        Task task = Parts.task();
        Polled p = claimed(task);
        var decision = router.decide(p, new TaskState(task.id(), TaskStatus.DONE, 1, 0), claims, now);
        assertThat(decision).isInstanceOf(Router.Decision.Recorded.class);
        assertThat(((Router.Decision.Recorded) decision).why()).contains("done").contains("attempt 1");
    }

    @Test
    void aRecordWhoseClaimWasTakenOverByALaterAttemptIsStale() {
        Task task = Parts.task();
        Polled p = claimed(task);
        claims.claim(task.id(), 2, p);
        assertThat(router.decide(p, null, claims, now)).isInstanceOf(Router.Decision.Stale.class);
    }

    @Test
    void aTopicNoExtensionHandlesIsDeadLetteredWithADeadRow() {
        Router none = new Router(Map.of(), new ExtensionConfigCache(null));
        var decision = none.decide(Parts.polled(P0, new PartitionOffsets(), 0, Parts.task()), null, claims, now);
        assertThat(decision).isInstanceOf(Router.Decision.DeadLetter.class);
        var dead = (Router.Decision.DeadLetter) decision;
        assertThat(dead.reason()).contains("no extension handles topic t");
        assertThat(dead.dead().status()).isEqualTo(TaskStatus.DEAD);
    }

    @Test
    void aRecordThatDoesNotDecodeIsDeadLettered() {
        ConsumerRecord<byte[], byte[]> garbage = new ConsumerRecord<>(Parts.TOPIC, 0, 5, 0L, TimestampType.CREATE_TIME,
                -1, -1, null, "not a task".getBytes(), new RecordHeaders()
                .add("ce_specversion", "9.9".getBytes()).add("ce_id", "1".getBytes()), Optional.empty());
        Decoded decoded = new dev.conveyor.schema.kafka.TaskRecordCodec().decode(garbage);
        assertThat(decoded).isInstanceOf(Decoded.Poison.class);
        Polled p = new Polled(P0, new PartitionOffsets(), garbage, decoded, null);
        var decision = router.decide(p, null, claims, now);
        assertThat(decision).isInstanceOf(Router.Decision.DeadLetter.class);
    }
}
