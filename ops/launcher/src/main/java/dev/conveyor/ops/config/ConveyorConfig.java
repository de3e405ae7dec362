package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import dev.conveyor.worker.recorder.RecorderConfig;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The configuration of a Conveyor process (SPEC §6): one YAML file plus {@code CONVEYOR_*}
 * environment overrides, turned into the typed settings of each role. Every key has a default
 * (see {@code ops/conveyor.yaml}); a wrong value, an unknown key or an unknown {@code CONVEYOR_*}
 * variable stops start-up naming it ({@link ConfigException}).
 *
 * <p>The known keys are listed in {@link ConfigKeys}; each section has a small reader
 * ({@code WorkerSection}, {@code IngressSection}, ...) whose defaults are those of the settings
 * record it builds. Environment overrides: every key that holds a value or a list has a variable
 * named {@code CONVEYOR_} plus the key in upper case with dots and dashes as underscores, e.g.
 * {@code CONVEYOR_DB_URL}, {@code CONVEYOR_WORKER_SHUTDOWN_GRACE}; lists ({@code topics},
 * {@code http.tokens}) are comma-separated.
 */
public final class ConveyorConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Default of {@code log.format}. */
    static final String DEFAULT_LOG_FORMAT = "text";

    private final ObjectNode tree;
    private final ConfigSection root;

    private ConveyorConfig(ObjectNode tree) {
        this.tree = tree;
        this.root = new ConfigSection(tree, "");
    }

    /**
     * Loads {@code file} (or nothing when null) and the environment.
     *
     * @throws ConfigException naming the first unknown key or variable, or the key of the first invalid value
     */
    public static ConveyorConfig load(Path file, Map<String, String> env) {
        ObjectNode tree = file == null ? Json.emptyObject() : read(file);
        UnknownKeys.check(tree);
        EnvironmentOverrides.apply(tree, env);
        ConveyorConfig config = new ConveyorConfig(tree);
        config.validate();
        return config;
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode parsed = YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
            if (parsed == null || parsed.isNull() || parsed.isMissingNode()) {
                return Json.emptyObject();
            }
            if (!parsed.isObject()) {
                throw new ConfigException(file.toString(), "the configuration must be a YAML mapping");
            }
            return (ObjectNode) parsed;
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
        }
    }

    /** Builds every role's settings once, so a bad value fails at start whichever role runs. */
    private void validate() {
        logFormat();
        outbound();
        db();
        worker();
        scheduler(List.of());
        recorder(Set.of());
        retention();
        ingress(Set.of());
    }

    /** {@code log.format}: {@code text} (default, one line per event) or {@code json} (one JSON object per line). */
    public String logFormat() {
        String format = root.section("log").text("format").orElse(DEFAULT_LOG_FORMAT).trim().toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            throw new ConfigException("log.format", "must be text or json, was '" + format + "'");
        }
        return format;
    }

    /** True when the database was configured ({@code db.url} or {@code CONVEYOR_DB_URL}); dev mode embeds one otherwise. */
    public boolean dbUrlGiven() {
        return tree.path("db").has("url");
    }

    /** {@code db.*}; the defaults are {@link DbConfig}'s. */
    public DbConfig db() {
        ConfigSection db = root.section("db");
        try {
            return new DbConfig(db.text("url").orElse(DbConfig.DEFAULT_URL), db.text("user").orElse(DbConfig.DEFAULT_USER),
                    db.text("password").orElse(null), db.integer("pool-size").orElse(DbConfig.DEFAULT_POOL_SIZE),
                    db.text("schema").orElse(null));
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
        return kafka().bootstrap();
    }

    public String topicPrefix() {
        return kafka().topicPrefix();
    }

    /** {@code kafka.topic-retention}: how long Kafka keeps the internal topics' records (set when they are created). */
    public dev.conveyor.schema.kafka.TopicRetention topicRetention() {
        return kafka().topicRetention();
    }

    /** {@code kafka.client.*}: extra Kafka client properties. */
    public Map<String, Object> kafkaClient() {
        return new LinkedHashMap<>(kafka().client());
    }

    private KafkaSection kafka() {
        return KafkaSection.read(root.section("kafka"));
    }

    /** {@code topics}: the topics the ingress accepts (and the workers subscribe to). */
    public Set<String> topics() {
        JsonNode node = tree.path("topics");
        if (!node.isMissingNode() && !node.isNull() && !node.isArray()) {
            throw new ConfigException("topics", "must be a list of topic names");
        }
        return new LinkedHashSet<>(root.strings("topics"));
    }

    public WorkerConfig worker() {
        return WorkerSection.read(root.section("worker"), kafka(), topics(), outbound()).toBuilder()
                .statusModes(statusModes()).build();
    }

    /** {@code worker.status} and {@code worker.topics.<topic>.status}: which topics are lean (every role reads them). */
    public dev.conveyor.store.StatusModes statusModes() {
        ConfigSection worker = root.section("worker");
        try {
            boolean lean = worker.text("status").map(v -> dev.conveyor.store.StatusModes.parseLean("worker.status", v))
                    .orElse(false);
            Map<String, Boolean> topics = new LinkedHashMap<>();
            worker.section("topics").sections().forEach((topic, t) -> t.text("status").ifPresent(v -> topics.put(topic,
                    dev.conveyor.store.StatusModes.parseLean("worker.topics." + topic + ".status", v))));
            return new dev.conveyor.store.StatusModes(lean, topics);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("worker", e.getMessage());
        }
    }

    public SchedulerConfig scheduler(List<ScheduleDefinition> extra) {
        List<ScheduleDefinition> schedules = new ArrayList<>(schedules());
        schedules.addAll(extra);
        return SchedulerSection.read(root.section("scheduler"), kafka(), node(), schedules, outbound());
    }

    /**
     * Recorder settings ({@code recorder.*}); it records the task topics of {@code topics} plus
     * {@code extraTopics} (the extensions' topics, when the process knows them).
     */
    public RecorderConfig recorder(Set<String> extraTopics) {
        Set<String> topics = new LinkedHashSet<>(topics());
        topics.addAll(extraTopics);
        return RecorderSection.read(root.section("recorder"), kafka(), node(), topics);
    }

    /** {@code retention:}: how long finished tasks and outbox rows are kept (the scheduler role's pruner). */
    public dev.conveyor.worker.retention.RetentionConfig retention() {
        return RetentionSection.read(root.section("retention"));
    }

    /** {@code callbacks:} and {@code notifications:}, for the worker (outbox rows) and the scheduler (delivery). */
    public OutboundSettings outbound() {
        return OutboundSection.read(root.section("callbacks"), tree.get("notifications"));
    }

    /** True when {@code webhooks:} configures at least one source. */
    public boolean hasWebhooks() {
        return !root.section("webhooks").sections().isEmpty();
    }

    public List<ScheduleDefinition> schedules() {
        return SchedulerSection.schedules(root.section("schedules"));
    }

    /** Ingress settings; {@code extraTopics} are added to {@code topics} (dev mode adds the extensions' topics). */
    public IngressConfig ingress(Set<String> extraTopics) {
        return ingress(extraTopics, Map.of());
    }

    /** Ingress settings with extra topics and extra webhook sources (dev mode's demo source). */
    public IngressConfig ingress(Set<String> extraTopics, Map<String, WebhookSource> extraWebhooks) {
        Set<String> topics = new LinkedHashSet<>(topics());
        topics.addAll(extraTopics);
        ConfigSection worker = root.section("worker");
        Map<String, Duration> timeouts = new LinkedHashMap<>();
        worker.section("topics").sections().forEach((topic, t) -> t.duration("timeout").ifPresent(d -> timeouts.put(topic, d)));
        var context = new IngressSection.Context(kafka(), topics, node(), workerGroup(), timeouts,
                retention().idempotencyKeys(), statusModes());
        return IngressSection.read(root.section("http"), root.section("webhooks"), extraWebhooks, context);
    }

    /** {@code worker.group}: the workers' consumer group (the ingress reads its lag, the recorder its progress). */
    public String workerGroup() {
        return root.section("worker").text("group").orElse(WorkerConfig.DEFAULT_GROUP);
    }

    /** {@code worker.node}, the name every role writes into {@code task_transitions.node}. */
    public String node() {
        return root.section("worker").text("node").orElseGet(WorkerConfig::defaultNode);
    }

    /** The settings on one line with secrets masked, for the start-up log. */
    public String describe() {
        ObjectNode copy = tree.deepCopy();
        mask(copy.path("db"), "password");
        mask(copy.path("callbacks"), "secret");
        if (copy.path("http").has("tokens")) {
            ((ObjectNode) copy.get("http")).put("tokens", "*** (" + copy.path("http").path("tokens").size() + ")");
        }
        copy.path("webhooks").forEach(w -> {
            mask(w, "secret");
            mask(w, "secrets");
        });
        return copy.toString();
    }

    private static void mask(JsonNode section, String field) {
        if (section.has(field)) {
            ((ObjectNode) section).put(field, "***");
        }
    }
}
