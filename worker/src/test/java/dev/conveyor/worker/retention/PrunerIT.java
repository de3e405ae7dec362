package dev.conveyor.worker.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention on a real PostgreSQL, with "now" given: each status expires at its own age, per-topic
 * ages win, unfinished tasks and tasks with a pending callback stay, transitions and outbox rows go
 * with their task, the counters follow, two pruners delete each row once, a dry run deletes nothing.
 */
@ConveyorIntegrationTest
class PrunerIT {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private DSLContext dsl;

    @BeforeEach
    void setUp(TestDatabase db) {
        dsl = db.dsl();
    }

    /** A task of {@code topic} with status {@code status}, finished (or last changed) {@code ago} before NOW. */
    private UUID task(String topic, TaskStatus status, Duration ago) {
        UUID id = UUID.randomUUID();
        OffsetDateTime at = OffsetDateTime.ofInstant(NOW.minus(ago), ZoneOffset.UTC);
        OffsetDateTime created = at.minusMinutes(1);
        dsl.execute("insert into tasks (id, topic, type, status, created_at, updated_at, finished_at) "
                + "values (?::uuid, ?, 't', ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)", id, topic, status.wireName(), created, at,
                status.isTerminal() ? at : null);
        dsl.execute("insert into task_transitions (task_id, from_status, to_status, at, attempt) values "
                + "(?::uuid, null, 'queued', ?::timestamptz, 1), (?::uuid, 'queued', ?, ?::timestamptz, 1)", id, created, id, status.wireName(), at);
        return id;
    }

    private boolean exists(UUID id) {
        return dsl.fetchExists(dsl.selectOne().from("tasks").where("id = ?::uuid", id));
    }

    private int transitions(UUID id) {
        return dsl.fetchCount(dsl.selectOne().from("task_transitions").where("task_id = ?::uuid", id));
    }

    private void outbox(UUID id, String state, Duration ago) {
        OffsetDateTime at = OffsetDateTime.ofInstant(NOW.minus(ago), ZoneOffset.UTC);
        dsl.execute("insert into outbox (task_id, status, kind, target, url, state, updated_at, delivered_at) "
                + "values (?::uuid, 'done', 'callback', 'callback', 'https://example.test/cb', ?, ?::timestamptz, ?::timestamptz)", id, state, at,
                state.equals("delivered") ? at : null);
    }

    private long count(String topic, TaskStatus status) {
        Number n = (Number) dsl.fetchValue("select coalesce(sum(n), 0) from task_counts where topic = ? and status = ?",
                topic, status.wireName());
        return n.longValue();
    }

    private static PruneReport pass(DSLContext dsl, RetentionConfig config, boolean dry) {
        return new PrunePass(dsl, config).run(NOW, dry);
    }

    @Test
    void eachStatusExpiresAtItsOwnAgeAndUnfinishedTasksStay() {
        String topic = "ages";
        Duration justOver = Duration.ofMinutes(1);
        UUID doneOld = task(topic, TaskStatus.DONE, Duration.ofDays(7).plus(justOver));
        UUID doneYoung = task(topic, TaskStatus.DONE, Duration.ofDays(7).minus(justOver));
        UUID skippedOld = task(topic, TaskStatus.SKIPPED, Duration.ofDays(7).plus(justOver));
        UUID cancelledOld = task(topic, TaskStatus.CANCELLED, Duration.ofDays(7).plus(justOver));
        UUID failedWeek = task(topic, TaskStatus.FAILED, Duration.ofDays(8));
        UUID failedOld = task(topic, TaskStatus.FAILED, Duration.ofDays(30).plus(justOver));
        UUID deadWeek = task(topic, TaskStatus.DEAD, Duration.ofDays(8));
        UUID deadOld = task(topic, TaskStatus.DEAD, Duration.ofDays(30).plus(justOver));
        UUID queuedAncient = task(topic, TaskStatus.QUEUED, Duration.ofDays(400));
        UUID rescheduledAncient = task(topic, TaskStatus.RESCHEDULED, Duration.ofDays(400));
        UUID runningAncient = task(topic, TaskStatus.RUNNING, Duration.ofDays(400));

        PruneReport r = pass(dsl, RetentionConfig.DEFAULTS, false);

        assertThat(r.ran()).isTrue();
        assertThat(r.tasks().get(topic)).isEqualTo(Map.of(TaskStatus.DONE, 1L, TaskStatus.SKIPPED, 1L,
                TaskStatus.CANCELLED, 1L, TaskStatus.FAILED, 1L, TaskStatus.DEAD, 1L));
        for (UUID gone : List.of(doneOld, skippedOld, cancelledOld, failedOld, deadOld)) {
            assertThat(exists(gone)).isFalse();
            assertThat(transitions(gone)).as("its history goes with it").isZero();
        }
        for (UUID kept : List.of(doneYoung, failedWeek, deadWeek, queuedAncient, rescheduledAncient, runningAncient)) {
            assertThat(exists(kept)).isTrue();
            assertThat(transitions(kept)).isEqualTo(2);
        }
        assertThat(count(topic, TaskStatus.DONE)).as("the counters count the rows kept").isEqualTo(1);
        assertThat(count(topic, TaskStatus.FAILED)).isEqualTo(1);
        assertThat(count(topic, TaskStatus.QUEUED)).isEqualTo(1);
    }

    @Test
    void aTopicsOwnAgeWinsForThatTopicOnly() {
        RetentionConfig config = new RetentionConfig(RetentionConfig.DEFAULTS.ages(),
                Map.of("clicks", Map.of(TaskStatus.DONE, Duration.ofHours(1))), Duration.ofDays(7), Duration.ofHours(24), RetentionConfig.DEFAULT_HISTORY_PARTITION);
        UUID click = task("clicks", TaskStatus.DONE, Duration.ofHours(2));
        UUID clickFailed = task("clicks", TaskStatus.FAILED, Duration.ofHours(2));
        UUID order = task("orders-topic", TaskStatus.DONE, Duration.ofHours(2));
        pass(dsl, config, false);
        assertThat(exists(click)).isFalse();
        assertThat(exists(clickFailed)).as("clicks overrides done only").isTrue();
        assertThat(exists(order)).isTrue();
    }

    @Test
    void aTaskWithAPendingCallbackStaysAndDeliveredOutboxRowsExpire() {
        String topic = "callbacks";
        UUID pending = task(topic, TaskStatus.DONE, Duration.ofDays(10));
        outbox(pending, "pending", Duration.ofDays(10));
        UUID delivered = task(topic, TaskStatus.DONE, Duration.ofDays(10));
        outbox(delivered, "delivered", Duration.ofDays(10));
        UUID young = task(topic, TaskStatus.DONE, Duration.ofDays(1));
        outbox(young, "delivered", Duration.ofDays(1));

        PruneReport r = pass(dsl, RetentionConfig.DEFAULTS, false);

        assertThat(exists(pending)).as("a pending delivery keeps its task").isTrue();
        assertThat(exists(delivered)).isFalse();
        assertThat(dsl.fetchCount(dsl.selectOne().from("outbox").where("task_id = ?::uuid", delivered))).isZero();
        assertThat(dsl.fetchCount(dsl.selectOne().from("outbox").where("task_id = ?::uuid", young))).isEqualTo(1);
        assertThat(dsl.fetchCount(dsl.selectOne().from("outbox").where("task_id = ?::uuid", pending))).isEqualTo(1);
        assertThat(r.tasks().get(topic)).isEqualTo(Map.of(TaskStatus.DONE, 1L));
    }

    @Test
    void aDryRunCountsWhatWouldGoAndDeletesNothing() {
        String topic = "dry";
        List<UUID> old = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            old.add(task(topic, TaskStatus.DONE, Duration.ofDays(9)));
        }
        PruneReport dry = pass(dsl, RetentionConfig.DEFAULTS, true);
        assertThat(dry.tasks().get(topic)).isEqualTo(Map.of(TaskStatus.DONE, 3L));
        assertThat(old).allMatch(this::exists);
        assertThat(count(topic, TaskStatus.DONE)).isEqualTo(3);
        assertThat(pass(dsl, RetentionConfig.DEFAULTS, false).tasks().get(topic)).isEqualTo(Map.of(TaskStatus.DONE, 3L));
        assertThat(old).noneMatch(this::exists);
    }

    @Test
    void twoPrunersAtOnceDeleteEachRowOnce() throws Exception {
        String topic = "concurrent";
        int n = 2 * PrunePass.BATCH + 500; // several batches, so the passes overlap
        dsl.execute("insert into tasks (id, topic, type, status, created_at, updated_at, finished_at) "
                + "select gen_random_uuid(), ?, 't', 'done', ?::timestamptz - i * interval '1 ms', ?::timestamptz, ?::timestamptz "
                + "from generate_series(1, ?) i", topic, OffsetDateTime.ofInstant(NOW.minus(Duration.ofDays(9)), ZoneOffset.UTC),
                OffsetDateTime.ofInstant(NOW.minus(Duration.ofDays(9)), ZoneOffset.UTC),
                OffsetDateTime.ofInstant(NOW.minus(Duration.ofDays(9)), ZoneOffset.UTC), n);
        var a = CompletableFuture.supplyAsync(() -> pass(dsl, RetentionConfig.DEFAULTS, false));
        var b = CompletableFuture.supplyAsync(() -> pass(dsl, RetentionConfig.DEFAULTS, false));
        PruneReport ra = a.get();
        PruneReport rb = b.get();
        long deleted = (ra.tasks().containsKey(topic) ? ra.tasks().get(topic).get(TaskStatus.DONE) : 0)
                + (rb.tasks().containsKey(topic) ? rb.tasks().get(topic).get(TaskStatus.DONE) : 0);
        assertThat(deleted).as("every row deleted exactly once").isEqualTo(n);
        assertThat(dsl.fetchCount(dsl.selectOne().from("tasks").where("topic = ?", topic))).isZero();
        assertThat(count(topic, TaskStatus.DONE)).isZero();
    }

    @Test
    void idempotencyKeysPastTheirWindowGo() {
        OffsetDateTime old = OffsetDateTime.ofInstant(NOW.minus(Duration.ofHours(25)), ZoneOffset.UTC);
        OffsetDateTime young = OffsetDateTime.ofInstant(NOW.minus(Duration.ofHours(23)), ZoneOffset.UTC);
        dsl.execute("insert into idempotency_keys (scope, key, task_id, state, created_at) values "
                + "('topic:k', 'old', ?::uuid, 'accepted', ?::timestamptz), ('topic:k', 'young', ?::uuid, 'accepted', ?::timestamptz)",
                UUID.randomUUID(), old, UUID.randomUUID(), young);
        assertThat(pass(dsl, RetentionConfig.DEFAULTS, true).idempotencyKeys()).isEqualTo(1);
        assertThat(pass(dsl, RetentionConfig.DEFAULTS, false).idempotencyKeys()).isEqualTo(1);
        assertThat(dsl.fetch("select key from idempotency_keys where scope = 'topic:k'").getValues(0, String.class))
                .containsExactly("young");
    }

    @Test
    void leanSuccessesAreForgottenAfterAnHourOrTheTopicsShorterDoneAgeAndStayCounted() {
        UUID old = UUID.randomUUID();
        UUID young = UUID.randomUUID();
        UUID quick = UUID.randomUUID();
        dsl.execute("insert into lean_done (id, topic, finished_at) values (?::uuid, 'lean-a', ?::timestamptz), "
                + "(?::uuid, 'lean-a', ?::timestamptz), (?::uuid, 'lean-b', ?::timestamptz)",
                old, OffsetDateTime.ofInstant(NOW.minus(Duration.ofMinutes(61)), ZoneOffset.UTC),
                young, OffsetDateTime.ofInstant(NOW.minus(Duration.ofMinutes(59)), ZoneOffset.UTC),
                quick, OffsetDateTime.ofInstant(NOW.minus(Duration.ofMinutes(11)), ZoneOffset.UTC));
        RetentionConfig config = new RetentionConfig(RetentionConfig.DEFAULTS.ages(),
                Map.of("lean-b", Map.of(TaskStatus.DONE, Duration.ofMinutes(10))), Duration.ofDays(7), Duration.ofHours(24),
                RetentionConfig.DEFAULT_HISTORY_PARTITION);

        assertThat(pass(dsl, config, true).leanDone()).isEqualTo(2);
        assertThat(pass(dsl, config, false).leanDone()).isEqualTo(2);

        assertThat(dsl.fetch("select id from lean_done where topic in ('lean-a', 'lean-b')").getValues(0, UUID.class))
                .containsExactly(young);
        assertThat(count("lean-a", TaskStatus.DONE)).as("forgotten, still counted").isEqualTo(2);
    }
}
