package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.RateLimit;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.outbound.CallbackSettings;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PayloadTemplate;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import dev.conveyor.worker.spi.Ordering;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of a Conveyor process (SPEC §6): one YAML file plus {@code CONVEYOR_*}
 * environment overrides, turned into the typed settings of each role. Every key has a default
 * (see {@code ops/conveyor.yaml}); a wrong value stops start-up with the key and the reason.
 *
 * <p>Environment overrides: every scalar key has a variable named {@code CONVEYOR_} plus the key
 * in upper case with dots and dashes as underscores, e.g. {@code CONVEYOR_DB_URL},
 * {@code CONVEYOR_KAFKA_BOOTSTRAP}, {@code CONVEYOR_HTTP_PORT}, {@code CONVEYOR_HTTP_MAX_BODY};
 * lists ({@code topics}, {@code http.tokens}) are comma-separated.
 */
public final class ConveyorConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb)?", Pattern.CASE_INSENSITIVE);
    private static final Set<String> SECTIONS = Set.of("http", "kafka", "db", "topics", "worker", "scheduler",
            "callbacks", "notifications", "webhooks", "schedules", "log");
    /** Scalar keys that may come from the environment. */
    private static final List<String> ENV_KEYS = List.of("http.host", "http.port", "http.max-body", "http.tokens",
            "http.interactive-timeout", "kafka.bootstrap", "kafka.topic-prefix", "db.url", "db.user", "db.password",
            "db.pool-size", "db.schema", "topics", "worker.group", "worker.node", "worker.concurrency",
            "worker.max-in-flight", "worker.timeout", "worker.ordering", "worker.max-attempts",
            "worker.reschedule-floor", "worker.slow-reschedule-floor", "worker.status-writers",
            "worker.status-batch-size", "worker.running-mark-after", "worker.config-refresh", "worker.shutdown-grace",
            "scheduler.group",
            "scheduler.batch-size", "scheduler.safety-poll", "log.format", "callbacks.secret", "callbacks.max-attempts",
            "callbacks.allow-private-networks");

    private final ObjectNode tree;
    private final boolean dbUrlGiven;

    private ConveyorConfig(ObjectNode tree, boolean dbUrlGiven) {
        this.tree = tree;
        this.dbUrlGiven = dbUrlGiven;
    }

    /**
     * Loads {@code file} (or nothing when null) and the environment.
     *
     * @throws ConfigException naming the key of the first invalid value
     */
    public static ConveyorConfig load(Path file, Map<String, String> env) {
        ObjectNode tree = Json.emptyObject();
        if (file != null) {
            try {
                JsonNode parsed = YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
                if (parsed != null && !parsed.isNull() && !parsed.isMissingNode()) {
                    if (!parsed.isObject()) {
                        throw new ConfigException(file.toString(), "the configuration must be a YAML mapping");
                    }
                    tree = (ObjectNode) parsed;
                }
            } catch (IOException e) {
                throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
            }
        }
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!SECTIONS.contains(key)) {
                throw new ConfigException(key, "unknown key; known: " + new java.util.TreeSet<>(SECTIONS));
            }
        }
        boolean dbUrlGiven = tree.path("db").has("url");
        for (String key : ENV_KEYS) {
            String var = "CONVEYOR_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
            String value = env.get(var);
            if (value != null) {
                put(tree, key, value);
                dbUrlGiven |= key.equals("db.url");
            }
        }
        ConveyorConfig config = new ConveyorConfig(tree, dbUrlGiven);
        config.validate();
        return config;
    }

    private static void put(ObjectNode tree, String key, String value) {
        String[] parts = key.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            node = child instanceof ObjectNode o ? o : node.putObject(parts[i]);
        }
        String last = parts[parts.length - 1];
        if (key.equals("topics") || key.equals("http.tokens")) {
            var array = node.putArray(last);
            for (String v : value.split(",")) {
                if (!v.isBlank()) {
                    array.add(v.trim());
                }
            }
        } else {
            node.put(last, value);
        }
    }

    /** Builds every role's settings once, so a bad value fails at start whichever role runs. */
    private void validate() {
        logFormat();
        outbound();
        db();
        worker();
        scheduler(List.of());
        ingress(Set.of());
    }

    // ---- typed sections ------------------------------------------------------------------------

    /** {@code log.format}: {@code text} (default, one line per event) or {@code json} (one JSON object per line). */
    public String logFormat() {
        JsonNode log = tree.path("log");
        if (!log.isMissingNode() && !log.isObject()) {
            throw new ConfigException("log", "must be a mapping, e.g. { format: json }");
        }
        for (Iterator<String> it = log.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("format")) {
                throw new ConfigException("log." + key, "unknown key; known: [format]");
            }
        }
        String format = text(log, "log.format", "format", "text").trim().toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            throw new ConfigException("log.format", "must be text or json, was '" + format + "'");
        }
        return format;
    }

    /** True when the database was configured ({@code db.url} or {@code CONVEYOR_DB_URL}); dev mode embeds one otherwise. */
    public boolean dbUrlGiven() {
        return dbUrlGiven;
    }

    public DbConfig db() {
        JsonNode db = tree.path("db");
        try {
            return new DbConfig(text(db, "db.url", "url", DbConfig.DEFAULT_URL), text(db, "db.user", "user",
                    DbConfig.DEFAULT_USER), text(db, "db.password", "password", null),
                    integer(db, "db.pool-size", "pool-size", DbConfig.DEFAULT_POOL_SIZE),
                    text(db, "db.schema", "schema", null));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("db", e.getMessage());
        }
    }

    /** With another database URL (dev mode's embedded PostgreSQL). */
    public DbConfig db(String url, String user) {
        DbConfig d = db();
        return new DbConfig(url, user, null, d.poolSize(), d.schema());
    }

    /** True when {@code kafka.bootstrap} was set (file or environment), not the default. */
    public boolean bootstrapGiven() {
        return tree.path("kafka").has("bootstrap");
    }

    public String bootstrap() {
        return text(tree.path("kafka"), "kafka.bootstrap", "bootstrap", "127.0.0.1:9092");
    }

    public String topicPrefix() {
        return text(tree.path("kafka"), "kafka.topic-prefix", "topic-prefix", "conveyor.");
    }

    /** {@code kafka.client.*}: extra Kafka client properties. */
    public Map<String, Object> kafkaClient() {
        Map<String, Object> props = new LinkedHashMap<>();
        tree.path("kafka").path("client").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
        return props;
    }

    public Set<String> topics() {
        Set<String> topics = new LinkedHashSet<>();
        JsonNode node = tree.path("topics");
        if (!node.isMissingNode() && !node.isArray()) {
            throw new ConfigException("topics", "must be a list of topic names");
        }
        node.forEach(t -> topics.add(t.asText()));
        return topics;
    }

    public WorkerConfig worker() {
        JsonNode w = tree.path("worker");
        String k = "worker.";
        try {
            RetryPolicy retry = new RetryPolicy(
                    integer(w, k + "max-attempts", "max-attempts", RetryPolicy.DEFAULT_MAX_ATTEMPTS),
                    duration(w, k + "reschedule-floor", "reschedule-floor", RetryPolicy.DEFAULT_RESCHEDULE_FLOOR),
                    duration(w, k + "slow-reschedule-floor", "slow-reschedule-floor",
                            RetryPolicy.DEFAULT_SLOW_RESCHEDULE_FLOOR),
                    backoff(w.path("backoff"), k + "backoff", Backoff.defaults()));
            Map<String, TopicSettings> perTopic = new LinkedHashMap<>();
            w.path("topics").fields().forEachRemaining(e -> perTopic.put(e.getKey(), topicSettings(e.getValue(),
                    k + "topics." + e.getKey())));
            WorkerConfig.Builder b = WorkerConfig.builder(bootstrap())
                    .kafkaClient(kafkaClient())
                    .topicPrefix(topicPrefix())
                    .group(text(w, k + "group", "group", WorkerConfig.DEFAULT_GROUP))
                    .concurrency(integer(w, k + "concurrency", "concurrency", WorkerConfig.DEFAULT_CONCURRENCY))
                    .maxInFlight(integer(w, k + "max-in-flight", "max-in-flight", WorkerConfig.DEFAULT_MAX_IN_FLIGHT))
                    .timeout(duration(w, k + "timeout", "timeout", WorkerConfig.DEFAULT_TIMEOUT))
                    .ordering(ordering(w.get("ordering"), k + "ordering", WorkerConfig.DEFAULT_ORDERING))
                    .retry(retry)
                    .topics(perTopic)
                    .subscribe(topics())
                    .statusWriters(integer(w, k + "status-writers", "status-writers", 2))
                    .statusBatchSize(integer(w, k + "status-batch-size", "status-batch-size", 1000))
                    .runningMarkAfter(duration(w, k + "running-mark-after", "running-mark-after",
                            Duration.ofMillis(250)))
                    .configRefresh(duration(w, k + "config-refresh", "config-refresh", Duration.ofSeconds(5)))
                    .shutdownGrace(duration(w, k + "shutdown-grace", "shutdown-grace", Duration.ofSeconds(30)))
                    .rate(rate(w, k + "rate"))
                    .circuitBreaker(circuitBreaker(w.get("circuit-breaker"), k + "circuit-breaker"))
                    .outbound(outbound());
            String node = text(w, k + "node", "node", null);
            if (node != null) {
                b.node(node);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("worker", e.getMessage());
        }
    }

    private TopicSettings topicSettings(JsonNode t, String key) {
        try {
            return new TopicSettings(
                    t.has("timeout") ? duration(t, key + ".timeout", "timeout", null) : null,
                    ordering(t.get("ordering"), key + ".ordering", null),
                    t.has("concurrency") ? integer(t, key + ".concurrency", "concurrency", 0) : null,
                    t.has("max-attempts") ? integer(t, key + ".max-attempts", "max-attempts", 0) : null,
                    t.has("backoff") ? backoff(t.get("backoff"), key + ".backoff", null) : null,
                    rate(t, key + ".rate"),
                    circuitBreaker(t.get("circuit-breaker"), key + ".circuit-breaker"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    /** {@code rate: 100/s} (also {@code /m}, {@code /h}); null when absent. */
    private static RateLimit rate(JsonNode section, String key) {
        String text = text(section, key, "rate", null);
        if (text == null) {
            return null;
        }
        try {
            return RateLimit.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    /** {@code circuit-breaker: { failure-rate: 50, window: 20, wait: 30s }}; null when absent. */
    private static CircuitBreakerSettings circuitBreaker(JsonNode cb, String key) {
        if (cb == null || cb.isNull() || cb.isMissingNode()) {
            return null;
        }
        if (!cb.isObject()) {
            throw new ConfigException(key, "must be a mapping, e.g. { failure-rate: 50, window: 20, wait: 30s }");
        }
        for (Iterator<String> it = cb.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("failure-rate", "window", "wait").contains(field)) {
                throw new ConfigException(key + "." + field, "unknown key; known: [failure-rate, window, wait]");
            }
        }
        CircuitBreakerSettings d = CircuitBreakerSettings.defaults();
        try {
            return new CircuitBreakerSettings(integer(cb, key + ".failure-rate", "failure-rate", d.failureRate()),
                    integer(cb, key + ".window", "window", d.window()), duration(cb, key + ".wait", "wait", d.openFor()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    public SchedulerConfig scheduler(List<ScheduleDefinition> extra) {
        JsonNode s = tree.path("scheduler");
        List<ScheduleDefinition> schedules = new ArrayList<>(schedules());
        schedules.addAll(extra);
        try {
            return new SchedulerConfig(bootstrap(), kafkaClient(), topicPrefix(),
                    text(s, "scheduler.group", "group", SchedulerConfig.DEFAULT_GROUP),
                    text(tree.path("worker"), "worker.node", "node", WorkerConfig.defaultNode()),
                    integer(s, "scheduler.batch-size", "batch-size", 1000),
                    duration(s, "scheduler.safety-poll", "safety-poll", Duration.ofSeconds(2)), schedules, outbound());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("scheduler", e.getMessage());
        }
    }

    /**
     * {@code callbacks:} and {@code notifications:}. A notification error names the notification
     * and the field, e.g. {@code notifications[ops-alert].payload: unknown parameter {task.foo}}.
     */
    public OutboundSettings outbound() {
        JsonNode c = tree.path("callbacks");
        if (!c.isMissingNode() && !c.isNull() && !c.isObject()) {
            throw new ConfigException("callbacks", "must be a mapping, e.g. { secret: whsec_..., max-attempts: 10 }");
        }
        Set<String> known = Set.of("secret", "max-attempts", "allow-private-networks");
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw new ConfigException("callbacks." + key, "unknown key; known: " + new java.util.TreeSet<>(known));
            }
        }
        CallbackSettings callbacks;
        try {
            callbacks = new CallbackSettings(text(c, "callbacks.secret", "secret", null),
                    integer(c, "callbacks.max-attempts", "max-attempts", CallbackSettings.DEFAULT_MAX_ATTEMPTS),
                    bool(c, "callbacks.allow-private-networks", "allow-private-networks", false));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("callbacks", e.getMessage());
        }
        JsonNode list = tree.path("notifications");
        if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
            throw new ConfigException("notifications", "must be a list of { name, on, topics, url, method, headers, payload }");
        }
        List<NotificationSettings> notifications = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            notifications.add(notification(list.get(i), i));
        }
        try {
            return new OutboundSettings(callbacks, notifications, OutboundSettings.Tuning.defaults());
        } catch (NotificationSettings.Invalid e) {
            throw new ConfigException("notifications[" + e.notification() + "]." + e.field(), e.getMessage());
        }
    }

    private static final Set<String> NOTIFICATION_KEYS = Set.of("name", "on", "topics", "url", "method", "headers",
            "payload");

    private static NotificationSettings notification(JsonNode n, int index) {
        if (!n.isObject()) {
            throw new ConfigException("notifications[" + index + "]", "must be a mapping with name, on, url, ...");
        }
        JsonNode nameNode = n.get("name");
        if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
            throw new ConfigException("notifications[" + index + "].name", "is required");
        }
        String name = nameNode.asText();
        String key = "notifications[" + name + "]";
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!NOTIFICATION_KEYS.contains(field)) {
                throw new ConfigException(key + "." + field, "unknown key; known: " + new java.util.TreeSet<>(NOTIFICATION_KEYS));
            }
        }
        try {
            Set<TaskStatus> on = new LinkedHashSet<>();
            for (String s : strings(n, key + ".on", "on")) {
                on.add(NotificationSettings.status(name, s));
            }
            Set<String> topics = new LinkedHashSet<>(strings(n, key + ".topics", "topics"));
            String urlText = text(n, key + ".url", "url", null);
            if (urlText == null) {
                throw new ConfigException(key + ".url", "is required");
            }
            JsonNode h = n.get("headers");
            Map<String, String> headers = new LinkedHashMap<>();
            if (h != null && !h.isNull()) {
                if (!h.isObject()) {
                    throw new ConfigException(key + ".headers", "must be a mapping of header name to value");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                        throw new ConfigException(key + ".headers." + e.getKey(), "must be a single value");
                    }
                    headers.put(e.getKey(), e.getValue().asText());
                }
            }
            PayloadTemplate payload = null;
            JsonNode p = n.get("payload");
            if (p != null && !p.isNull()) {
                try {
                    payload = PayloadTemplate.parse(p);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(key + ".payload", e.getMessage());
                }
            }
            return new NotificationSettings(name, on, topics, NotificationSettings.url(name, urlText),
                    text(n, key + ".method", "method", null), headers, payload);
        } catch (NotificationSettings.Invalid e) {
            throw new ConfigException("notifications[" + e.notification() + "]." + e.field(), e.getMessage());
        }
    }

    /** A list of strings, or a single string as a list of one. */
    private static List<String> strings(JsonNode section, String key, String field) {
        JsonNode v = section.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (v.isValueNode()) {
            return List.of(v.asText());
        }
        if (!v.isArray()) {
            throw new ConfigException(key, "must be a list, e.g. [failed, dead]");
        }
        List<String> out = new ArrayList<>();
        v.forEach(x -> {
            if (!x.isValueNode()) {
                throw new ConfigException(key, "must be a list of names, was " + v);
            }
            out.add(x.asText());
        });
        return out;
    }

    private static boolean bool(JsonNode section, String key, String field, boolean fallback) {
        String v = text(section, key, field, null);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key, "must be true or false, was '" + v + "'");
        };
    }

    /** True when {@code webhooks:} configures at least one source. */
    public boolean hasWebhooks() {
        return tree.path("webhooks").size() > 0;
    }

    public List<ScheduleDefinition> schedules() {
        List<ScheduleDefinition> out = new ArrayList<>();
        tree.path("schedules").fields().forEachRemaining(e -> {
            String key = "schedules." + e.getKey();
            JsonNode s = e.getValue();
            try {
                JsonNode data = s.get("data");
                byte[] payload = data == null || data.isNull() ? new byte[0] : Json.toBytes(data);
                out.add(new ScheduleDefinition(e.getKey(), text(s, key + ".cron", "cron", null),
                        s.has("every") ? duration(s, key + ".every", "every", null) : null,
                        s.has("zone") ? zone(s.get("zone").asText(), key + ".zone") : null,
                        text(s, key + ".topic", "topic", null), payload, data == null ? null : "application/json",
                        !s.has("enabled") || s.get("enabled").asBoolean(true)));
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(key, ex.getMessage());
            }
        });
        return out;
    }

    /** Ingress settings; {@code extraTopics} are added to {@code topics} (dev mode adds the extensions' topics). */
    public IngressConfig ingress(Set<String> extraTopics) {
        return ingress(extraTopics, Map.of());
    }

    /** Ingress settings with extra topics and extra webhook sources (dev mode's demo source). */
    public IngressConfig ingress(Set<String> extraTopics, Map<String, WebhookSource> extraWebhooks) {
        JsonNode h = tree.path("http");
        Set<String> topics = new LinkedHashSet<>(topics());
        topics.addAll(extraTopics);
        Set<String> tokens = new LinkedHashSet<>();
        h.path("tokens").forEach(t -> tokens.add(t.asText()));
        Map<String, WebhookSource> webhooks = new LinkedHashMap<>();
        tree.path("webhooks").fields().forEachRemaining(e -> {
            String key = "webhooks." + e.getKey();
            JsonNode w = e.getValue();
            try {
                List<String> secrets = new ArrayList<>();
                if (w.has("secret")) {
                    secrets.add(w.get("secret").asText());
                }
                w.path("secrets").forEach(x -> secrets.add(x.asText()));
                webhooks.put(e.getKey(), new WebhookSource(e.getKey(),
                        WebhookSource.Scheme.fromConfig(text(w, key + ".scheme", "scheme", null)), secrets,
                        text(w, key + ".topic", "topic", null), text(w, key + ".header", "header", null),
                        text(w, key + ".id-header", "id-header", null), null));
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(key, ex.getMessage());
            }
        });
        extraWebhooks.forEach(webhooks::putIfAbsent);
        Map<String, Duration> timeouts = new LinkedHashMap<>();
        tree.path("worker").path("topics").fields().forEachRemaining(e -> {
            if (e.getValue().has("timeout")) {
                timeouts.put(e.getKey(), duration(e.getValue(), "worker.topics." + e.getKey() + ".timeout", "timeout",
                        null));
            }
        });
        try {
            return IngressConfig.builder(bootstrap())
                    .host(text(h, "http.host", "host", "127.0.0.1"))
                    .port(integer(h, "http.port", "port", 8080))
                    .maxBody(size(h, "http.max-body", "max-body", 1024 * 1024))
                    .tokens(tokens)
                    .topics(topics)
                    .kafkaClient(kafkaClient())
                    .topicPrefix(topicPrefix())
                    .node(text(tree.path("worker"), "worker.node", "node", WorkerConfig.defaultNode()))
                    .interactiveTimeout(duration(h, "http.interactive-timeout", "interactive-timeout",
                            Duration.ofSeconds(30)))
                    .interactiveTimeouts(timeouts)
                    .webhooks(webhooks)
                    .workerGroup(text(tree.path("worker"), "worker.group", "group", WorkerConfig.DEFAULT_GROUP))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("http", e.getMessage());
        }
    }

    /** The settings on one line with secrets masked, for the start-up log. */
    public String describe() {
        ObjectNode copy = tree.deepCopy();
        if (copy.path("db").has("password")) {
            ((ObjectNode) copy.get("db")).put("password", "***");
        }
        if (copy.path("http").has("tokens")) {
            ((ObjectNode) copy.get("http")).put("tokens", "*** (" + copy.path("http").path("tokens").size() + ")");
        }
        if (copy.path("callbacks").has("secret")) {
            ((ObjectNode) copy.get("callbacks")).put("secret", "***");
        }
        copy.path("webhooks").forEach(w -> {
            if (w.has("secret")) {
                ((ObjectNode) w).put("secret", "***");
            }
            if (w.has("secrets")) {
                ((ObjectNode) w).put("secrets", "***");
            }
        });
        return copy.toString();
    }

    // ---- scalar readers ------------------------------------------------------------------------

    private static String text(JsonNode section, String key, String field, String fallback) {
        JsonNode v = section.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isValueNode()) {
            throw new ConfigException(key, "must be a single value, was " + v);
        }
        return v.asText();
    }

    private static int integer(JsonNode section, String key, String field, int fallback) {
        String v = text(section, key, field, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a whole number, was '" + v + "'");
        }
    }

    /** {@code 30s}, {@code 5m}, {@code 250ms}, {@code 1h}, {@code 2d}, ISO-8601 {@code PT30S}, or seconds. */
    static Duration duration(JsonNode section, String key, String field, Duration fallback) {
        String v = text(section, key, field, null);
        if (v == null) {
            return fallback;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt") || s.startsWith("p")) {
            try {
                return Duration.parse(v.trim().toUpperCase(Locale.ROOT));
            } catch (java.time.format.DateTimeParseException e) {
                throw new ConfigException(key, "'" + v + "' is not a duration");
            }
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new ConfigException(key, "'" + v + "' is not a duration (e.g. 250ms, 30s, 5m, 1h)");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long ms = Math.round(n * switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 86_400_000;
        });
        return Duration.ofMillis(ms);
    }

    private static long size(JsonNode section, String key, String field, long fallback) {
        String v = text(section, key, field, null);
        if (v == null) {
            return fallback;
        }
        Matcher m = SIZE.matcher(v.trim());
        if (!m.matches()) {
            throw new ConfigException(key, "'" + v + "' is not a size (e.g. 512KB, 1MB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        return n * switch (unit) {
            case "kb" -> 1024L;
            case "mb" -> 1024L * 1024;
            case "gb" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
    }

    private static Ordering ordering(JsonNode v, String key, Ordering fallback) {
        if (v == null || v.isNull()) {
            return fallback;
        }
        return switch (v.asText().toLowerCase(Locale.ROOT)) {
            case "key" -> Ordering.KEY;
            case "none" -> Ordering.NONE;
            default -> throw new ConfigException(key, "must be key or none, was '" + v.asText() + "'");
        };
    }

    private static Backoff backoff(JsonNode b, String key, Backoff fallback) {
        if (b == null || b.isMissingNode() || b.isNull()) {
            return fallback;
        }
        try {
            return Backoff.exponential(duration(b, key + ".initial", "initial", Backoff.DEFAULT_INITIAL),
                    duration(b, key + ".max", "max", Backoff.DEFAULT_MAX),
                    b.has("multiplier") ? b.get("multiplier").asDouble() : Backoff.DEFAULT_MULTIPLIER,
                    b.has("jitter") ? b.get("jitter").asDouble() : Backoff.DEFAULT_JITTER);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    private static ZoneId zone(String value, String key) {
        try {
            return ZoneId.of(value);
        } catch (java.time.DateTimeException e) {
            throw new ConfigException(key, "'" + value + "' is not a time zone (e.g. UTC, Europe/Berlin)");
        }
    }
}
