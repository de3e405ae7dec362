package dev.conveyor.ops.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every key Conveyor reads, section by section: the one list that the unknown-key check, the
 * {@code CONVEYOR_*} environment overrides and the documentation test walk. A key that is not
 * here stops start-up; adding a key (or a section) is one line here plus its reader.
 *
 * <p>Paths are dotted. {@code <topic>}, {@code <source>}, {@code <name>} are segments any name may
 * take (the configuration is open at that level and closed below it); {@code notifications[]} is
 * an element of the {@code notifications} list.
 */
public final class ConfigKeys {

    /** What a key holds. */
    public enum Kind {
        /** One value (text, number, duration, size, ...). */
        VALUE,
        /** A list of values (one value is a list of one; from the environment: comma-separated). */
        LIST,
        /** A mapping with free keys (Kafka client properties, HTTP headers, payload data): not checked below. */
        MAP
    }

    /** One key: its dotted path and what it holds. */
    public record Key(String path, Kind kind) {

        /** True when the key may come from the environment: a value or list at a path without free segments. */
        public boolean fromEnvironment() {
            return kind != Kind.MAP && !path.contains("<") && !path.contains("[]");
        }

        /** {@code CONVEYOR_} plus the path in upper case with dots and dashes as underscores. */
        public String envVar() {
            return "CONVEYOR_" + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        }

        /** The path's segments; {@code notifications[].url} is {@code [notifications, [], url]}. */
        public List<String> segments() {
            return Arrays.asList(path.replace("[]", ".[]").split("\\."));
        }
    }

    /** What a topic may override under {@code worker.topics.<topic>}; the same keys under {@code worker} are the defaults. */
    private static final List<Key> GUARDS = join(values("timeout", "ordering", "concurrency", "max-attempts", "rate"),
            under("backoff", values("initial", "max", "multiplier", "jitter")),
            under("circuit-breaker", values("failure-rate", "window", "wait")));

    static final List<Key> HTTP = under("http", values("host", "port", "max-body", "interactive-timeout",
            "max-pending-interactive", "max-in-flight"), lists("tokens"));
    static final List<Key> KAFKA = under("kafka", values("bootstrap", "topic-prefix"), maps("client"),
            under("topic-retention", values("trace", "replies", "dlq", "delayed")));
    static final List<Key> DB = under("db", values("url", "user", "password", "pool-size", "schema"));
    static final List<Key> TOPICS = lists("topics");
    static final List<Key> WORKER = under("worker", values("group", "node", "max-in-flight", "reschedule-floor",
            "slow-reschedule-floor", "status-writers", "status-batch-size", "running-mark-after", "config-refresh",
            "shutdown-grace", "status"), GUARDS, under("topics.<topic>", join(GUARDS, values("status"))));
    static final List<Key> SCHEDULER = under("scheduler", values("group", "batch-size", "safety-poll"));
    static final List<Key> RECORDER = under("recorder", values("enabled", "group", "batch-size"));
    private static final List<Key> RETENTION_AGES = values("done", "skipped", "cancelled", "failed", "dead");
    static final List<Key> RETENTION = under("retention", RETENTION_AGES, values("idempotency-keys", "outbox", "history-partition"),
            under("topics.<topic>", RETENTION_AGES));
    static final List<Key> CALLBACKS = under("callbacks", values("secret", "max-attempts", "allow-private-networks"));
    static final List<Key> NOTIFICATIONS = under("notifications[]", values("name", "url", "method"),
            lists("on", "topics"), maps("headers", "payload"));
    static final List<Key> WEBHOOKS = under("webhooks.<source>", values("scheme", "secret", "topic", "header",
            "id-header"), lists("secrets"));
    static final List<Key> SCHEDULES = under("schedules.<name>", values("cron", "every", "zone", "topic", "enabled"),
            maps("data"));
    static final List<Key> LOG = under("log", values("format"));

    /** Every known key, in the order of {@code ops/conveyor.yaml}. */
    public static final List<Key> ALL = join(HTTP, KAFKA, DB, TOPICS, WORKER, SCHEDULER, RECORDER, RETENTION, CALLBACKS,
            NOTIFICATIONS, WEBHOOKS, SCHEDULES, LOG);

    private ConfigKeys() {}

    /** The keys that may come from {@code CONVEYOR_*} variables. */
    public static List<Key> fromEnvironment() {
        return ALL.stream().filter(Key::fromEnvironment).toList();
    }

    private static List<Key> values(String... paths) {
        return of(Kind.VALUE, paths);
    }

    private static List<Key> lists(String... paths) {
        return of(Kind.LIST, paths);
    }

    private static List<Key> maps(String... paths) {
        return of(Kind.MAP, paths);
    }

    private static List<Key> of(Kind kind, String... paths) {
        return Arrays.stream(paths).map(p -> new Key(p, kind)).toList();
    }

    @SafeVarargs
    private static List<Key> under(String prefix, List<Key>... groups) {
        return join(groups).stream().map(k -> new Key(prefix + "." + k.path(), k.kind())).toList();
    }

    @SafeVarargs
    private static List<Key> join(List<Key>... groups) {
        List<Key> all = new ArrayList<>();
        for (List<Key> g : groups) {
            all.addAll(g);
        }
        return List.copyOf(all);
    }
}
