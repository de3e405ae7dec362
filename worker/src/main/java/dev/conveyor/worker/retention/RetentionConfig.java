package dev.conveyor.worker.retention;

import dev.conveyor.schema.TaskStatus;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How long finished tasks are kept ({@code retention:} in {@code conveyor.yaml}): an age per
 * terminal status, counted from when the task finished, with per-topic overrides, and how long
 * delivered callback and notification rows ({@code outbox}) are kept. The scheduler role's
 * {@link Pruner} deletes what is older. Defaults follow River's and JobRunr's: successes a week,
 * failures a month.
 *
 * @param ages the age of each terminal status ({@code retention.done|skipped|cancelled|failed|dead})
 * @param topics per-topic ages that replace the defaults for that topic ({@code retention.topics.<topic>.<status>})
 * @param outbox how long a delivered or finally failed outbox row is kept ({@code retention.outbox})
 * @param idempotencyKeys how long an Idempotency-Key stays taken after its first use, and is kept
 *     ({@code retention.idempotency-keys}); the ingress reads the same setting
 * @param historyPartition the time range of one {@code task_transitions} partition
 *     ({@code retention.history-partition}, 1 minute to 31 days): the pruner creates them ahead and
 *     drops each whole once it is older than the shortest age
 */
public record RetentionConfig(Map<TaskStatus, Duration> ages, Map<String, Map<TaskStatus, Duration>> topics,
        Duration outbox, Duration idempotencyKeys, Duration historyPartition) {

    /** A day per history partition: a week of done tasks is about ten partitions. */
    public static final Duration DEFAULT_HISTORY_PARTITION = Duration.ofDays(1);

    /** done, skipped, cancelled 7 days; failed and dead 30 days; delivered outbox rows 7 days; idempotency keys 24 h. */
    public static final RetentionConfig DEFAULTS = new RetentionConfig(Map.of(
            TaskStatus.DONE, Duration.ofDays(7), TaskStatus.SKIPPED, Duration.ofDays(7),
            TaskStatus.CANCELLED, Duration.ofDays(7), TaskStatus.FAILED, Duration.ofDays(30),
            TaskStatus.DEAD, Duration.ofDays(30)), Map.of(), Duration.ofDays(7), Duration.ofHours(24),
            DEFAULT_HISTORY_PARTITION);

    public RetentionConfig {
        Objects.requireNonNull(ages, "ages");
        Objects.requireNonNull(topics, "topics");
        Map<TaskStatus, Duration> all = new EnumMap<>(TaskStatus.class);
        for (TaskStatus s : TaskStatus.values()) {
            if (s.isTerminal()) {
                Duration age = ages.get(s);
                if (age == null) {
                    throw new IllegalArgumentException("retention." + s.wireName() + " is missing");
                }
                all.put(s, requirePositive("retention." + s.wireName(), age));
            } else if (ages.containsKey(s)) {
                throw new IllegalArgumentException("retention." + s.wireName() + ": only finished tasks are pruned "
                        + "(done, skipped, cancelled, failed, dead)");
            }
        }
        ages = java.util.Collections.unmodifiableMap(all); // EnumMap: in status order, for logs
        Map<String, Map<TaskStatus, Duration>> byTopic = new TreeMap<>();
        topics.forEach((topic, overrides) -> {
            Map<TaskStatus, Duration> o = new EnumMap<>(TaskStatus.class);
            overrides.forEach((s, age) -> {
                String key = "retention.topics." + topic + "." + s.wireName();
                if (!s.isTerminal()) {
                    throw new IllegalArgumentException(key + ": only finished tasks are pruned");
                }
                o.put(s, requirePositive(key, age));
            });
            byTopic.put(topic, Map.copyOf(o));
        });
        topics = java.util.Collections.unmodifiableMap(byTopic);
        outbox = requirePositive("retention.outbox", outbox);
        idempotencyKeys = requirePositive("retention.idempotency-keys", idempotencyKeys);
        Objects.requireNonNull(historyPartition, "retention.history-partition");
        if (historyPartition.compareTo(Duration.ofMinutes(1)) < 0 || historyPartition.compareTo(Duration.ofDays(31)) > 0
                || historyPartition.toSeconds() % 60 != 0 || historyPartition.toNanos() % 1_000_000_000 != 0) {
            throw new IllegalArgumentException("retention.history-partition must be whole minutes from 1m to 31d, was "
                    + historyPartition);
        }
    }

    private static Duration requirePositive(String key, Duration d) {
        Objects.requireNonNull(d, key);
        if (d.toMillis() < 1000) {
            throw new IllegalArgumentException(key + " must be at least 1s, was " + d);
        }
        return d;
    }

    /** How long a task of {@code topic} that ended {@code status} is kept. */
    public Duration age(String topic, TaskStatus status) {
        Map<TaskStatus, Duration> o = topics.get(topic);
        Duration d = o == null ? null : o.get(status);
        return d != null ? d : ages.get(status);
    }

    /** The shortest age of any task rule: tasks that ended more recently are never pruned. */
    public Duration shortestTaskAge() {
        Duration min = null;
        for (Duration d : ages.values()) {
            min = min == null || d.compareTo(min) < 0 ? d : min;
        }
        for (Map<TaskStatus, Duration> o : topics.values()) {
            for (Duration d : o.values()) {
                min = d.compareTo(min) < 0 ? d : min;
            }
        }
        return min;
    }
}
