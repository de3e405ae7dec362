package dev.conveyor.bench;

import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.internals.AppInfoParser;

/**
 * The Kafka broker and PostgreSQL a bench run uses: embedded ones started here (the default), or
 * the ones of the configuration. Every workload gets topics and a database schema of its own
 * (named with the run id), so a run never touches an installation's own tables; on external
 * infrastructure they are deleted again at the end.
 */
public final class Infrastructure implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedPostgres postgres;
    private final String bootstrap;
    private final DbConfig db;
    private final Database admin;
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private final List<String> topics = new ArrayList<>();
    private final Progress progress;

    private Infrastructure(EmbeddedKafkaBroker broker, EmbeddedPostgres postgres, String bootstrap, DbConfig db,
            Progress progress) {
        this.broker = broker;
        this.postgres = postgres;
        this.bootstrap = bootstrap;
        this.db = db;
        this.progress = progress;
        this.admin = Database.open(new DbConfig(db.url(), db.user(), db.password(), 2, "public"), "bench-admin");
    }

    /**
     * Starts what is not given.
     *
     * @param externalBootstrap Kafka to use, or null for an embedded broker
     * @param externalDb PostgreSQL to use, or null for an embedded one
     * @param durable an embedded PostgreSQL commits to disk (fsync, synchronous_commit on)
     */
    public static Infrastructure start(String externalBootstrap, DbConfig externalDb, boolean durable,
            Progress progress)
            throws IOException {
        EmbeddedKafkaBroker broker = null;
        EmbeddedPostgres pg = null;
        try {
            String bootstrap = externalBootstrap;
            if (bootstrap == null) {
                progress.say("starting an embedded Kafka broker");
                broker = EmbeddedKafkaBroker.start();
                bootstrap = broker.bootstrap();
            }
            DbConfig db = externalDb;
            if (db == null) {
                progress.say("starting an embedded PostgreSQL");
                EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
                if (durable) {
                    // The embedded defaults turn both off; a done row should be on disk when it counts.
                    builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
                }
                pg = builder.start();
                db = new DbConfig(pg.getJdbcUrl("postgres", "postgres"), "postgres", null, 10, "public");
            }
            return new Infrastructure(broker, pg, bootstrap, db, progress);
        } catch (IOException | RuntimeException e) {
            closeQuietly(broker);
            closeQuietly(pg);
            throw e;
        }
    }

    public String bootstrap() {
        return bootstrap;
    }

    public String runId() {
        return runId;
    }

    public boolean embeddedKafka() {
        return broker != null;
    }

    public boolean embeddedPostgres() {
        return postgres != null;
    }

    /** The Kafka client library's version (the embedded broker is the same release). */
    public static String kafkaVersion() {
        return AppInfoParser.getVersion();
    }

    /** A PostgreSQL setting, e.g. {@code server_version} or {@code fsync}. */
    public String pgSetting(String name) {
        return String.valueOf(admin.dsl().fetchValue("select current_setting(?)", name));
    }

    /** A unique name for this run: {@code bench_<name>_<run>}. */
    public String name(String name) {
        return "bench_" + name + "_" + runId;
    }

    /**
     * Conveyor's tables, migrated into a new schema of their own with a pool of {@code poolSize};
     * closing the schema closes the pool and drops the schema. A new installation's tables, not
     * reused ones: tables emptied by TRUNCATE keep statistics that make PostgreSQL plan the
     * worker's status reads badly.
     *
     * @param counters false disables the {@code task_counts} triggers (V5), to measure what they cost
     */
    public Schema schema(String name, int poolSize, boolean counters) {
        String schema = name(name);
        Database database = Database.openAndMigrate(new DbConfig(db.url(), db.user(), db.password(), poolSize, schema),
                "bench-" + name);
        if (!counters) {
            database.dsl().execute("alter table tasks disable trigger tasks_count_inserts, "
                    + "disable trigger tasks_count_updates");
        }
        return new Schema(database, schema);
    }

    /** A migrated schema of Conveyor's tables for one workload. */
    public final class Schema implements AutoCloseable {
        private final Database database;
        private final String name;

        private Schema(Database database, String name) {
            this.database = database;
            this.name = name;
        }

        public Database db() {
            return database;
        }

        public String name() {
            return name;
        }

        @Override
        public void close() {
            database.close();
            try {
                admin.dsl().execute("drop schema if exists " + name + " cascade");
            } catch (RuntimeException e) {
                progress.say("could not drop schema " + name + ": " + e.getMessage());
            }
        }
    }

    /** Creates {@code topic} and waits until every partition has a leader. */
    public void createTopic(String topic, int partitions) throws Exception {
        try (Admin kafka = Admin.create(adminProperties())) {
            kafka.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            synchronized (topics) {
                topics.add(topic);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                TopicDescription description = null;
                try {
                    description = kafka.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                            .get(topic);
                } catch (ExecutionException e) {
                    // Just created: the broker's metadata may not list it yet.
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
                if (description != null && description.partitions().size() == partitions
                        && description.partitions().stream().allMatch(tp -> tp.leader() != null)) {
                    // The metadata can name a leader before that broker serves the partition: the
                    // first produce then fails with NOT_LEADER_OR_FOLLOWER, and an idempotent
                    // producer's pipelined batches can overtake the retried first one (it then fails
                    // for good with OUT_OF_ORDER_SEQUENCE_NUMBER). Listing offsets goes through the
                    // leader's own partition state, and the admin client retries it until it is served.
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    for (int p = 0; p < partitions; p++) {
                        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                    }
                    kafka.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " has no leaders after 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    public Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    /** A plain producer as Conveyor's publisher sets it up: acks=all, idempotent, 64 KiB batches. */
    public Properties producerProperties(int lingerMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        return p;
    }

    /** A plain consumer with the worker's client settings, in a group of its own. */
    public Properties consumerProperties(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        return p;
    }

    /** Deletes this run's topics on an external broker, then stops what was started here. */
    @Override
    public void close() {
        if (broker == null && !topics.isEmpty()) {
            try (Admin kafka = Admin.create(adminProperties())) {
                kafka.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                progress.say("could not delete the benchmark topics " + topics + ": " + e);
            }
        }
        admin.close();
        closeQuietly(broker);
        closeQuietly(postgres);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("bench: closing " + c.getClass().getSimpleName() + " failed: " + e);
            }
        }
    }
}
