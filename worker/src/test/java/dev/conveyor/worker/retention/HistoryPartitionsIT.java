package dev.conveyor.worker.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dated partitions of {@code task_transitions} on a real PostgreSQL, with "now" given: created
 * ahead, taking over rows the default partition held; dropped whole by age, with the history of
 * tasks still kept moved out first; and migration V10 on a table that already has history.
 */
@ConveyorIntegrationTest
class HistoryPartitionsIT {

    private TestDatabase db;
    private DSLContext dsl;

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.dsl = db.dsl();
    }

    private static OffsetDateTime utc(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static UUID task(DSLContext dsl, TaskStatus status, Instant at) {
        UUID id = UUID.randomUUID();
        dsl.execute("insert into tasks (id, topic, type, status, created_at, updated_at, finished_at) "
                + "values (?::uuid, 'hist', 't', ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)", id, status.wireName(),
                utc(at), utc(at), status.isTerminal() ? utc(at) : null);
        dsl.execute("insert into task_transitions (task_id, from_status, to_status, at, attempt) values "
                + "(?::uuid, null, 'queued', ?::timestamptz, 1), (?::uuid, 'queued', ?, ?::timestamptz, 1)", id, utc(at), id,
                status.wireName(), utc(at.plusSeconds(1)));
        return id;
    }

    /** The partition each of the task's transitions is stored in. */
    private List<String> partitionsOf(UUID id) {
        return dsl.fetch("select tableoid::regclass::text from task_transitions where task_id = ?::uuid order by seq", id)
                .getValues(0, String.class);
    }

    private List<String> partitions() {
        return dsl.fetch("select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
                + "where i.inhparent = 'task_transitions'::regclass order by 1").getValues(0, String.class);
    }

    private PruneReport pass(Instant now, boolean dry) {
        return new PrunePass(dsl, RetentionConfig.DEFAULTS).run(now, dry);
    }

    @Test
    void partitionsAreCreatedAheadAndTakeOverWhatTheDefaultPartitionHeld() {
        Instant now = Instant.parse("2027-03-01T12:00:00Z");
        UUID early = task(dsl, TaskStatus.DONE, now.minusSeconds(60));
        assertThat(partitionsOf(early)).containsOnly("task_transitions_default");
        List<String> before = partitions();
        List<String> ahead = List.of("task_transitions_p202703010000", "task_transitions_p202703020000",
                "task_transitions_p202703030000");

        PruneReport dry = pass(now, true);
        assertThat(dry.history().created()).containsExactlyElementsOf(ahead);
        assertThat(partitions()).isEqualTo(before);

        PruneReport r = pass(now, false);

        assertThat(r.history().problem()).isNull();
        assertThat(r.history().created()).containsExactlyElementsOf(ahead);
        assertThat(partitions()).containsAll(ahead).hasSize(before.size() + 3);
        assertThat(partitionsOf(early)).containsOnly("task_transitions_p202703010000");
        assertThat(partitionsOf(task(dsl, TaskStatus.DONE, now.plus(Duration.ofDays(1)))))
                .containsOnly("task_transitions_p202703020000");
        assertThat(partitionsOf(task(dsl, TaskStatus.DONE, now.plus(Duration.ofDays(9)))))
                .as("beyond the partitions made ahead").containsOnly("task_transitions_default");
        assertThat(pass(now.plusSeconds(600), false).history().created()).as("nothing missing the second time").isEmpty();
    }

    @Test
    void oldPartitionsAreDroppedWholeAndTheTasksStillKeptKeepTheirHistory() {
        Instant day1 = Instant.parse("2026-11-01T12:00:00Z");
        pass(day1, false);
        UUID done = task(dsl, TaskStatus.DONE, day1);
        UUID failed = task(dsl, TaskStatus.FAILED, day1);
        UUID rescheduled = task(dsl, TaskStatus.RESCHEDULED, day1);
        UUID nextDay = task(dsl, TaskStatus.DONE, day1.plus(Duration.ofDays(1)));
        assertThat(partitionsOf(done)).containsOnly("task_transitions_p202611010000");

        // Done tasks are kept 7 days: a partition goes once it ended 7 days and a minute ago.
        Instant later = Instant.parse("2026-11-09T12:00:00Z");
        PruneReport dry = pass(later, true);
        assertThat(dry.history().dropped()).containsOnlyKeys("task_transitions_p202611010000");
        assertThat(partitionsOf(done)).hasSize(2);

        PruneReport r = pass(later, false);

        assertThat(r.history().problem()).isNull();
        assertThat(r.history().dropped()).containsOnlyKeys("task_transitions_p202611010000");
        assertThat(r.history().keptTransitionsMoved()).as("the failed and the rescheduled task's two each").isEqualTo(4);
        assertThat(partitions()).doesNotContain("task_transitions_p202611010000")
                .contains("task_transitions_p202611020000", "task_transitions_p202611090000", "task_transitions_p202611110000");
        assertThat(partitionsOf(done)).as("pruned with its task, its history went with the partition").isEmpty();
        assertThat(partitionsOf(failed)).containsExactly("task_transitions_default", "task_transitions_default");
        assertThat(partitionsOf(rescheduled)).hasSize(2);
        assertThat(partitionsOf(nextDay)).as("its partition is younger than the horizon").hasSize(2);

        // When the failed task expires, its moved history goes with it from the default partition.
        pass(Instant.parse("2026-12-02T12:00:00Z"), false);
        assertThat(partitionsOf(failed)).isEmpty();
        assertThat(partitionsOf(rescheduled)).as("never pruned: not finished").hasSize(2);
    }

    @Test
    void migrationKeepsTheHistoryAlreadyThereAsAPartitionThatIsDroppedLikeTheOthers() throws Exception {
        String schema = db.schema() + "_v9";
        Instant now = Instant.now();
        try (Connection c = db.connect(schema)) {
            db.flyway(schema).target("9").load().migrate();
            DSLContext old = DSL.using(c, SQLDialect.POSTGRES, Database.settings());
            UUID kept = task(old, TaskStatus.FAILED, now.minus(Duration.ofDays(19)));
            UUID pruned = task(old, TaskStatus.DONE, now.minus(Duration.ofDays(20)));
            for (int i = 0; i < 500; i++) {
                task(old, TaskStatus.DONE, now.minus(Duration.ofHours(i)));
            }

            assertThat(db.flyway(schema).load().migrate().migrationsExecuted).isGreaterThanOrEqualTo(1);

            assertThat(old.fetchValue("select relkind::text from pg_class where oid = 'task_transitions'::regclass"))
                    .isEqualTo("p");
            assertThat(((Number) old.fetchValue("select count(*) from task_transitions_before_v10")).longValue()).isEqualTo(1004L);
            assertThat(old.fetch("select to_status from task_transitions where task_id = ?::uuid order by seq", kept)
                    .getValues(0, String.class)).containsExactly("queued", "failed");
            UUID after = task(old, TaskStatus.DONE, now);
            assertThat(old.fetchValue("select tableoid::regclass::text from task_transitions where task_id = ?::uuid "
                    + "limit 1", after)).isEqualTo("task_transitions_before_v10");

            // Ten days on, the partition of the history before the upgrade is dropped whole.
            PruneReport r = new PrunePass(old, RetentionConfig.DEFAULTS).run(now.plus(Duration.ofDays(10)), false);
            assertThat(r.history().dropped()).containsKey("task_transitions_before_v10");
            assertThat(old.fetch("select to_status from task_transitions where task_id = ?::uuid order by seq", kept)
                    .getValues(0, String.class)).as("a failure is kept 30 days, with its history").containsExactly("queued", "failed");
            assertThat(((Number) old.fetchValue("select count(*) from task_transitions where task_id = ?::uuid", pruned))
                    .longValue()).isZero();
            UUID newer = task(old, TaskStatus.DONE, now.plus(Duration.ofDays(10)));
            assertThat(old.fetch("select seq from task_transitions where task_id = ?::uuid", newer)).as(
                    "the sequence survived the old table").hasSize(2);
        } finally {
            dsl.execute("drop schema if exists \"" + schema + "\" cascade");
        }
    }
}
