package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.RateLimit;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.PayloadTemplate;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import dev.conveyor.worker.spi.Ordering;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * For every known key: a value other than the default and where it must arrive in the typed
 * settings handed to a component ({@code WorkerConfig}, {@code SchedulerConfig},
 * {@code IngressConfig}, {@code DbConfig}, ...). Free names are {@code orders} ({@code <topic>}),
 * {@code src} ({@code <source>}), {@code sch} ({@code <name>}) and the first notification.
 */
final class ConfigProbes {

    /** Sections the probes need to exist (a webhook source, a schedule, a notification) before setting one key. */
    static final String BASE = """
            topics: [orders, other]
            worker: { topics: { orders: {} } }
            retention: { topics: { orders: {} } }
            webhooks: { src: { scheme: hmac-sha256, secret: s3cret, topic: orders } }
            schedules: { sch: { every: 10s, topic: orders } }
            notifications: [ { name: n1, url: "https://hooks.example/a" } ]
            """;

    /**
     * One key's probe.
     *
     * @param value the value to set (YAML scalar, list or mapping as Java values)
     * @param read where the value must arrive
     * @param expected what {@code read} answers then
     * @param remove keys to remove first (a schedule has either cron or every)
     */
    record Probe(Object value, Function<ConveyorConfig, Object> read, Object expected, List<String> remove) {}

    static final Map<String, Probe> PROBES = new LinkedHashMap<>();

    private static void probe(String key, Object value, Function<ConveyorConfig, Object> read, Object expected) {
        PROBES.put(key, new Probe(value, read, expected, List.of()));
    }

    private static TopicSettings orders(ConveyorConfig c) {
        return c.worker().topics().get("orders");
    }

    private static WebhookSource src(ConveyorConfig c) {
        return c.ingress(Set.of()).webhooks().get("src");
    }

    private static NotificationSettings n1(ConveyorConfig c) {
        return c.worker().outbound().notifications().getFirst();
    }

    private static ScheduleDefinition sch(ConveyorConfig c) {
        ScheduleDefinition fromReader = c.schedules().getFirst();
        return c.scheduler(List.of()).schedules().contains(fromReader) ? fromReader : null;
    }

    private static Object cb(CircuitBreakerSettings cb, Function<CircuitBreakerSettings, Object> field) {
        return cb == null ? null : field.apply(cb);
    }

    private static Backoff backoff(String field, Object value) {
        Duration initial = field.equals("initial") ? (Duration) value : Backoff.DEFAULT_INITIAL;
        Duration max = field.equals("max") ? (Duration) value : Backoff.DEFAULT_MAX;
        double multiplier = field.equals("multiplier") ? (Double) value : Backoff.DEFAULT_MULTIPLIER;
        double jitter = field.equals("jitter") ? (Double) value : Backoff.DEFAULT_JITTER;
        return Backoff.exponential(initial, max, multiplier, jitter);
    }

    static {
        probe("http.host", "0.0.0.0", c -> c.ingress(Set.of()).host(), "0.0.0.0");
        probe("http.port", 9001, c -> c.ingress(Set.of()).port(), 9001);
        probe("http.max-body", "2MB", c -> c.ingress(Set.of()).maxBody(), 2L * 1024 * 1024);
        probe("http.tokens", List.of("t1", "t2"), c -> c.ingress(Set.of()).tokens(), Set.of("t1", "t2"));
        probe("http.interactive-timeout", "7s", c -> c.ingress(Set.of()).interactiveTimeout(), Duration.ofSeconds(7));
        probe("http.max-pending-interactive", 7, c -> c.ingress(Set.of()).maxPendingInteractive(), 7);
        probe("http.max-in-flight", 9, c -> c.ingress(Set.of()).maxInFlight(), 9);
        probe("kafka.bootstrap", "k:1", c -> List.of(c.worker().bootstrap(), c.scheduler(List.of()).bootstrap(),
                c.ingress(Set.of()).bootstrap(), c.bootstrap()), List.of("k:1", "k:1", "k:1", "k:1"));
        probe("kafka.topic-prefix", "x.", c -> List.of(c.worker().topicPrefix(), c.scheduler(List.of()).topicPrefix(),
                c.ingress(Set.of()).topicPrefix()), List.of("x.", "x.", "x."));
        probe("kafka.topic-retention.trace", "2h", c -> c.topicRetention().trace(), Duration.ofHours(2));
        probe("kafka.topic-retention.replies", "5m", c -> c.topicRetention().replies(), Duration.ofMinutes(5));
        probe("kafka.topic-retention.dlq", "60d", c -> c.topicRetention().dlq(), Duration.ofDays(60));
        probe("kafka.topic-retention.delayed", "3d", c -> c.topicRetention().delayed(), Duration.ofDays(3));
        probe("kafka.client", Map.of("security.protocol", "SSL"), c -> List.of(c.worker().kafkaClient(),
                c.scheduler(List.of()).kafkaClient(), c.ingress(Set.of()).kafkaClient()),
                List.of(Map.of("security.protocol", "SSL"), Map.of("security.protocol", "SSL"),
                        Map.of("security.protocol", "SSL")));
        probe("db.url", "jdbc:postgresql://db:5432/x", c -> c.db().url(), "jdbc:postgresql://db:5432/x");
        probe("db.user", "u", c -> c.db().user(), "u");
        probe("db.password", "p", c -> c.db().password(), "p");
        probe("db.pool-size", 3, c -> c.db().poolSize(), 3);
        probe("db.schema", "s2", c -> c.db().schema(), "s2");
        probe("topics", List.of("orders", "other", "a"), c -> List.of(c.worker().subscribe(),
                c.ingress(Set.of()).topics()), List.of(Set.of("orders", "other", "a"), Set.of("orders", "other", "a")));
        probe("worker.group", "g", c -> List.of(c.worker().group(), c.ingress(Set.of()).workerGroup()), List.of("g", "g"));
        probe("worker.node", "n-1", c -> List.of(c.worker().node(), c.scheduler(List.of()).node(),
                c.ingress(Set.of()).node()), List.of("n-1", "n-1", "n-1"));
        probe("worker.concurrency", 7, c -> c.worker().concurrency(), 7);
        probe("worker.max-in-flight", 99, c -> c.worker().maxInFlight(), 99);
        probe("worker.timeout", "7s", c -> c.worker().timeout(), Duration.ofSeconds(7));
        probe("worker.ordering", "none", c -> c.worker().ordering(), Ordering.NONE);
        probe("worker.max-attempts", 9, c -> c.worker().retry().maxAttempts(), 9);
        probe("worker.reschedule-floor", "7s", c -> c.worker().retry().rescheduleFloor(), Duration.ofSeconds(7));
        probe("worker.slow-reschedule-floor", "700s", c -> c.worker().retry().slowRescheduleFloor(),
                Duration.ofSeconds(700));
        probe("worker.backoff.initial", "2s", c -> c.worker().retry().backoff(), backoff("initial", Duration.ofSeconds(2)));
        probe("worker.backoff.max", "7m", c -> c.worker().retry().backoff(), backoff("max", Duration.ofMinutes(7)));
        probe("worker.backoff.multiplier", 3, c -> c.worker().retry().backoff(), backoff("multiplier", 3.0));
        probe("worker.backoff.jitter", 0.5, c -> c.worker().retry().backoff(), backoff("jitter", 0.5));
        probe("worker.rate", "7/s", c -> c.worker().rate(), new RateLimit(7, Duration.ofSeconds(1)));
        probe("worker.circuit-breaker.failure-rate", 70, c -> cb(c.worker().circuitBreaker(), b -> b.failureRate()), 70);
        probe("worker.circuit-breaker.window", 7, c -> cb(c.worker().circuitBreaker(), b -> b.window()), 7);
        probe("worker.circuit-breaker.wait", "7s", c -> cb(c.worker().circuitBreaker(), b -> b.openFor()),
                Duration.ofSeconds(7));
        probe("worker.status-writers", 3, c -> c.worker().statusWriters(), 3);
        probe("worker.status-batch-size", 77, c -> c.worker().statusBatchSize(), 77);
        probe("worker.running-mark-after", "1s", c -> c.worker().runningMarkAfter(), Duration.ofSeconds(1));
        probe("worker.config-refresh", "9s", c -> c.worker().configRefresh(), Duration.ofSeconds(9));
        probe("worker.shutdown-grace", "9s", c -> c.worker().shutdownGrace(), Duration.ofSeconds(9));
        probe("worker.status", "lean", c -> List.of(c.worker().statusModes().isLean("other"),
                c.ingress(Set.of()).statusModes().isLean("other")), List.of(true, true));
        probe("worker.topics.<topic>.status", "lean", c -> List.of(c.worker().statusModes().isLean("orders"),
                c.worker().statusModes().isLean("other")), List.of(true, false));
        probe("worker.topics.<topic>.timeout", "7s", c -> java.util.Arrays.asList(orders(c).timeout(),
                c.ingress(Set.of()).interactiveTimeout("orders")), List.of(Duration.ofSeconds(7), Duration.ofSeconds(7)));
        probe("worker.topics.<topic>.ordering", "none", c -> orders(c).ordering(), Ordering.NONE);
        probe("worker.topics.<topic>.concurrency", 3, c -> orders(c).concurrency(), 3);
        probe("worker.topics.<topic>.max-attempts", 4, c -> orders(c).maxAttempts(), 4);
        probe("worker.topics.<topic>.rate", "7/m", c -> orders(c).rate(), new RateLimit(7, Duration.ofMinutes(1)));
        probe("worker.topics.<topic>.backoff.initial", "2s", c -> orders(c).backoff(),
                backoff("initial", Duration.ofSeconds(2)));
        probe("worker.topics.<topic>.backoff.max", "7m", c -> orders(c).backoff(), backoff("max", Duration.ofMinutes(7)));
        probe("worker.topics.<topic>.backoff.multiplier", 3, c -> orders(c).backoff(), backoff("multiplier", 3.0));
        probe("worker.topics.<topic>.backoff.jitter", 0.5, c -> orders(c).backoff(), backoff("jitter", 0.5));
        probe("worker.topics.<topic>.circuit-breaker.failure-rate", 70,
                c -> cb(orders(c).circuitBreaker(), b -> b.failureRate()), 70);
        probe("worker.topics.<topic>.circuit-breaker.window", 7, c -> cb(orders(c).circuitBreaker(), b -> b.window()), 7);
        probe("worker.topics.<topic>.circuit-breaker.wait", "7s", c -> cb(orders(c).circuitBreaker(), b -> b.openFor()),
                Duration.ofSeconds(7));
        probe("scheduler.group", "sg", c -> c.scheduler(List.of()).group(), "sg");
        probe("scheduler.batch-size", 77, c -> c.scheduler(List.of()).batchSize(), 77);
        probe("scheduler.safety-poll", "9s", c -> c.scheduler(List.of()).safetyPoll(), Duration.ofSeconds(9));
        probe("recorder.enabled", false, c -> c.recorder(Set.of()).enabled(), false);
        probe("recorder.group", "rg", c -> c.recorder(Set.of()).group(), "rg");
        probe("recorder.batch-size", 77, c -> c.recorder(Set.of()).batchSize(), 77);
        for (TaskStatus status : List.of(TaskStatus.DONE, TaskStatus.SKIPPED, TaskStatus.CANCELLED, TaskStatus.FAILED,
                TaskStatus.DEAD)) {
            probe("retention." + status.wireName(), "3h", c -> c.retention().age("other", status), Duration.ofHours(3));
            probe("retention.topics.<topic>." + status.wireName(), "5m", c -> c.retention().age("orders", status),
                    Duration.ofMinutes(5));
        }
        probe("retention.outbox", "2d", c -> c.retention().outbox(), Duration.ofDays(2));
        probe("retention.history-partition", "6h", c -> c.retention().historyPartition(), Duration.ofHours(6));
        probe("retention.idempotency-keys", "36h", c -> List.of(c.retention().idempotencyKeys(),
                c.ingress(Set.of()).idempotencyWindow()), List.of(Duration.ofHours(36), Duration.ofHours(36)));
        probe("callbacks.secret", "s3cret", c -> List.of(String.valueOf(c.worker().outbound().callbacks().secret()),
                String.valueOf(c.scheduler(List.of()).outbound().callbacks().secret())), List.of("s3cret", "s3cret"));
        probe("callbacks.max-attempts", 3, c -> c.scheduler(List.of()).outbound().callbacks().maxAttempts(), 3);
        probe("callbacks.allow-private-networks", true,
                c -> c.scheduler(List.of()).outbound().callbacks().allowPrivateNetworks(), true);
        probe("notifications[].name", "n2", c -> n1(c).name(), "n2");
        probe("notifications[].on", List.of("failed"), c -> n1(c).on(), Set.of(TaskStatus.FAILED));
        probe("notifications[].topics", List.of("orders"), c -> n1(c).topics(), Set.of("orders"));
        probe("notifications[].url", "https://hooks.example/b", c -> n1(c).url(), URI.create("https://hooks.example/b"));
        probe("notifications[].method", "PUT", c -> n1(c).method(), "PUT");
        probe("notifications[].headers", Map.of("X-A", "1"), c -> n1(c).headers(), Map.of("X-A", "1"));
        JsonNode payload = Json.mapper().valueToTree(Map.of("text", "{task.id}"));
        probe("notifications[].payload", Map.of("text", "{task.id}"), c -> n1(c).payload(), PayloadTemplate.parse(payload));
        probe("webhooks.<source>.scheme", "github", c -> src(c).scheme(), WebhookSource.Scheme.GITHUB);
        probe("webhooks.<source>.secret", "other", c -> src(c).secrets(), List.of("other"));
        probe("webhooks.<source>.secrets", List.of("a", "b"), c -> src(c).secrets(), List.of("s3cret", "a", "b"));
        probe("webhooks.<source>.topic", "other", c -> src(c).topic(), "other");
        probe("webhooks.<source>.header", "X-Sig", c -> src(c).signatureHeader(), "X-Sig");
        probe("webhooks.<source>.id-header", "X-Id", c -> src(c).idHeader(), "X-Id");
        PROBES.put("schedules.<name>.cron", new Probe("0 3 * * *", c -> sch(c).cron(), "0 3 * * *",
                List.of("schedules.<name>.every")));
        probe("schedules.<name>.every", "20s", c -> sch(c).every(), Duration.ofSeconds(20));
        probe("schedules.<name>.zone", "Europe/Berlin", c -> sch(c).zone(), ZoneId.of("Europe/Berlin"));
        probe("schedules.<name>.topic", "other", c -> sch(c).topic(), "other");
        probe("schedules.<name>.data", Map.of("k", "v"), c -> new String(sch(c).payload(), StandardCharsets.UTF_8),
                "{\"k\":\"v\"}");
        probe("schedules.<name>.enabled", false, c -> sch(c).enabled(), false);
        probe("log.format", "json", ConveyorConfig::logFormat, "json");
    }

    private ConfigProbes() {}
}
