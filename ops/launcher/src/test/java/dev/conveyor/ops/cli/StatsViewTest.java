package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code conveyor stats} output from a {@code GET /v1/stats} answer. */
class StatsViewTest {

    static final String STATS = """
            {"at": "2026-11-22T20:00:00.123Z",
             "topics": [
               {"topic": "orders", "counts": {"queued": 3, "running": 1, "done": 1200, "failed": 2, "skipped": 0,
                 "rescheduled": 0, "cancelled": 0, "dead": 0}, "lag": 17},
               {"topic": "quotes", "counts": {"queued": 0, "running": 0, "done": 10, "failed": 0, "skipped": 0,
                 "rescheduled": 0, "cancelled": 0, "dead": 0}, "lag": null}],
             "totals": {"queued": 3, "running": 1, "done": 1210, "failed": 2, "skipped": 0, "rescheduled": 0,
               "cancelled": 0, "dead": 0},
             "oldestQueuedAt": "2026-11-22T19:55:00Z", "oldestQueuedAgeSeconds": 300.4,
             "scheduled": {"pending": 42, "nextDueAt": "2026-11-22T20:05:00Z"},
             "lag": {"group": "conveyor-workers", "total": 17, "available": true},
             "throughput": [{"minute": "2026-11-22T19:57:00Z", "finished": 120, "failed": 3},
                            {"minute": "2026-11-22T19:58:00Z", "finished": 0, "failed": 0},
                            {"minute": "2026-11-22T19:59:00Z", "finished": 98, "failed": 1}]}
            """;

    @Test
    void rendersNonZeroStatusesPerTopicTotalsAndTheQueuesHealth() {
        String text = StatsView.render(Json.parse(STATS.getBytes(StandardCharsets.UTF_8)));
        assertThat(text).isEqualTo("""
                TOPIC   QUEUED  RUNNING  DONE  FAILED  LAG
                orders       3        1  1200       2   17
                quotes       0        0    10       0    -
                TOTAL        3        1  1210       2   17

                oldest queued  5m 00s ago (2026-11-22T19:55:00Z)
                scheduled      42 pending, next due 2026-11-22T20:05:00Z
                consumer lag   17 (group conveyor-workers)
                finished/min   120 0 98
                failed/min     3 0 1
                               (last 3 min, 19:57–19:59 UTC, oldest first: 218 finished, 4 failed)
                as of          2026-11-22T20:00:00Z
                """);
    }

    @Test
    void eachTopicsOldestQueuedTaskBesideItsLagWhenTheIngressReportsIt() {
        String text = StatsView.render(Json.parse("""
                {"at": "2026-11-22T20:00:00Z",
                 "topics": [
                   {"topic": "orders", "counts": {"queued": 3, "running": 1, "done": 1200}, "queued": 3,
                    "oldestQueuedAt": "2026-11-22T19:55:00Z", "oldestQueuedAgeSeconds": 300.4, "lag": 17},
                   {"topic": "quotes", "counts": {"queued": 0, "running": 0, "done": 10}, "queued": 0,
                    "oldestQueuedAt": null, "oldestQueuedAgeSeconds": null, "lag": null},
                   {"topic": "mails", "counts": {"queued": 2, "running": 0, "done": 0}, "queued": 2,
                    "oldestQueuedAt": "2026-11-22T19:59:57.900Z", "oldestQueuedAgeSeconds": 2.1, "lag": 2}],
                 "totals": {"queued": 5, "running": 1, "done": 1210},
                 "oldestQueuedAt": "2026-11-22T19:55:00Z", "oldestQueuedAgeSeconds": 300.4,
                 "scheduled": {"pending": 0, "nextDueAt": null},
                 "lag": {"group": "conveyor-workers", "total": 19, "available": true}, "throughput": []}
                """.getBytes(StandardCharsets.UTF_8)));
        assertThat(text).isEqualTo("""
                TOPIC   QUEUED  RUNNING  DONE  LAG  OLDEST QUEUED
                orders       3        1  1200   17         5m 00s
                quotes       0        0    10    -              -
                mails        2        0     0    2           2.1s
                TOTAL        5        1  1210   19         5m 00s

                oldest queued  5m 00s ago (2026-11-22T19:55:00Z)
                scheduled      0 pending
                consumer lag   19 (group conveyor-workers)
                as of          2026-11-22T20:00:00Z
                """);
    }

    @Test
    void anEmptyInstallationAndKafkaDown() {
        String text = StatsView.render(Json.parse("""
                {"at": "2026-11-22T20:00:00Z", "topics": [], "totals": {"queued": 0, "done": 0},
                 "oldestQueuedAt": null, "oldestQueuedAgeSeconds": null, "scheduled": {"pending": 0, "nextDueAt": null},
                 "lag": {"group": "conveyor-workers", "total": null, "available": false}, "throughput": []}
                """.getBytes(StandardCharsets.UTF_8)));
        assertThat(text).isEqualTo("""
                TOPIC  LAG
                TOTAL    -

                oldest queued  none queued
                scheduled      0 pending
                consumer lag   unavailable (Kafka unreachable), group conveyor-workers
                as of          2026-11-22T20:00:00Z
                """);
    }

    @Test
    void agesForPeople() {
        assertThat(StatsView.age(0.25)).isEqualTo("250ms");
        assertThat(StatsView.age(2.14)).isEqualTo("2.1s");
        assertThat(StatsView.age(303)).isEqualTo("5m 03s");
        assertThat(StatsView.age(7800)).isEqualTo("2h 10m");
        assertThat(StatsView.age(3 * 86400 + 4 * 3600 + 5)).isEqualTo("3d 4h");
    }

    @Test
    void storageShowsTheTablesSizesAndTheOldestTaskKept() {
        String text = StatsView.render(Json.parse("""
                {"at": "2026-11-22T20:00:00Z", "topics": [], "totals": {}, "scheduled": {"pending": 0},
                 "lag": {"group": "g", "total": 0, "available": true}, "throughput": [],
                 "storage": {"tables": [{"table": "tasks", "bytes": 8493465, "rowsEstimate": 40000},
                                        {"table": "task_transitions", "bytes": 4404019, "rowsEstimate": 120000},
                                        {"table": "outbox", "bytes": 16384, "rowsEstimate": 0},
                                        {"table": "idempotency_keys", "bytes": 900, "rowsEstimate": 3}],
                             "bytes": 12914768, "oldestTaskAt": "2026-11-15T10:00:00Z"}}
                """.getBytes(StandardCharsets.UTF_8)));
        assertThat(text).contains("storage        12.3 MB (tasks 8.1 MB ~40000 rows, task_transitions 4.2 MB ~120000 rows, "
                + "outbox 16.0 kB ~0 rows, idempotency_keys 900 B ~3 rows), oldest task 2026-11-15T10:00:00Z\n");
    }
}
