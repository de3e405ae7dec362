package dev.conveyor.ops;

import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.http.IngressParts;
import dev.conveyor.producer.http.IngressProducer;
import dev.conveyor.producer.http.IngressServer;
import dev.conveyor.schema.kafka.ConveyorTopics;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.recorder.QueuedRecorder;
import dev.conveyor.worker.recorder.RecorderConfig;
import dev.conveyor.worker.recorder.WorkerGroupOffsets;
import dev.conveyor.worker.retention.Pruner;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import dev.conveyor.worker.scheduler.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of a Conveyor process: builds what the roles share once (the database
 * pool, the status store, the internal topics' names and their creation, the Kafka producers, the
 * clock and the meter registry), hands each role a record of collaborators, starts the roles in
 * dependency order and stops them in reverse order.
 *
 * <p>Kafka producers: the worker and the scheduler share one, with Conveyor's producer settings;
 * the ingress has its own, tuned for requests that each wait for their acknowledgement
 * ({@link IngressProducer}). Consumers belong to their role (each has its own group).
 */
public final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Clock clock = Clock.systemUTC();
    private final Metrics metrics = own(new Metrics());
    private final MeterRegistry meters = metrics.registry();
    private Database database;
    private StatusStore store;
    private Producer<byte[], byte[]> producer;
    private boolean topicsEnsured;
    private Extensions extensions;
    private IngressServer ingress;
    private volatile boolean closed;
    private final DependencyWait dependencies = new DependencyWait(() -> closed);
    /** Null once the roles run; until then why the process is not ready (its health endpoint says so). */
    private volatile String starting = "starting";

    /** Takes ownership of something to close at shutdown (embedded infrastructure). */
    public <T extends AutoCloseable> T own(T resource) {
        started.push(resource);
        return resource;
    }

    /**
     * Waits (with backoff, for as long as it takes) until PostgreSQL and, when {@code kafka}, the Kafka
     * bootstrap servers answer. False when the process is stopped meanwhile.
     */
    public boolean awaitDependencies(ConveyorConfig config, DbConfig db, boolean kafka) {
        return dependencies.postgres(db) && (!kafka || dependencies.kafka(config.bootstrap(), config.kafkaClient()));
    }

    /** The roles run: the health endpoint now checks the database and Kafka themselves. */
    public void started() {
        starting = null;
    }

    /** Why this process is not ready yet, or null once its roles run. */
    String notReadyBecause() {
        String waiting = dependencies.waitingFor();
        return waiting != null ? "waiting for " + waiting : starting;
    }

    /** Opens the process's pool (migrating the schema) and its status store. */
    public Database database(ConveyorConfig config, DbConfig db) {
        database = own(Database.openAndMigrate(db, "conveyor"));
        metrics.bind(database);
        store = new JooqStatusStore(database.dsl(), config.node(), config.outbound(), config.statusModes());
        return database;
    }

    /**
     * Creates the internal topics when missing, once per process, and {@code taskTopics} with
     * {@code partitions} (dev mode creates its topics up front).
     */
    public void ensureTopics(ConveyorConfig config, Set<String> taskTopics, Optional<Integer> partitions) {
        new ConveyorTopics(config.topicPrefix(), config.topicRetention()).ensure(config.bootstrap(), config.kafkaClient(), taskTopics,
                partitions);
        topicsEnsured = true;
    }

    /** The producer the worker and the scheduler share; made (after the internal topics) on first use. */
    private Producer<byte[], byte[]> sharedProducer(ConveyorConfig config) {
        if (producer == null) {
            if (!topicsEnsured) {
                ensureTopics(config, Set.of(), Optional.empty());
            }
            // Owned before the roles that use it, so it closes after them.
            producer = own(new KafkaProducer<>(KafkaClients.producer(config.bootstrap(), config.node() + "-producer",
                    config.kafkaClient())));
        }
        return producer;
    }

    /** Extensions on the classpath plus every jar in {@code dir} (if it exists), with the bundled examples. */
    public Extensions extensions(Path dir) {
        return extensions(dir, true);
    }

    /**
     * Extensions on the classpath plus every jar in {@code dir} (if it exists); the bundled examples
     * ({@code dev.conveyor.examples}) only when {@code examples}.
     */
    public Extensions extensions(Path dir, boolean examples) {
        List<URL> jars = new ArrayList<>();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path jar : files.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                    jars.add(jar.toUri().toURL());
                }
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new IllegalStateException("cannot list extensions in " + dir + ": " + e.getMessage(), e);
            }
        }
        ClassLoader loader = jars.isEmpty() ? Node.class.getClassLoader()
                : new URLClassLoader("conveyor-extensions", jars.toArray(URL[]::new), Node.class.getClassLoader());
        extensions = Extensions.load(loader, e -> examples || !isExample(e));
        log.info("Extensions: {} (jars from {}: {})", extensions.all().stream().map(e -> e.name() + extensions(e))
                .toList(), dir, jars.size());
        return extensions;
    }

    private static boolean isExample(dev.conveyor.worker.spi.Extension e) {
        return e.getClass().getName().startsWith("dev.conveyor.examples.");
    }

    private static String extensions(dev.conveyor.worker.spi.Extension e) {
        return e.topics().toString();
    }

    public Worker worker(ConveyorConfig config) {
        log.info("Worker config: {}", config.worker());
        return own(Worker.start(config.worker(), new Worker.Collaborators(database.dsl(), extensions, meters, clock)
                .sharing(store, sharedProducer(config))));
    }

    /**
     * Starts the scheduler, the pruner ({@code retention:}) and, unless {@code recorder.enabled} is
     * false, the recorder beside it.
     */
    public Scheduler scheduler(ConveyorConfig config, List<ScheduleDefinition> extra) {
        Scheduler scheduler = own(Scheduler.start(config.scheduler(extra), new Scheduler.Collaborators(database, clock,
                meters).sharing(store, sharedProducer(config))));
        recorder(config);
        own(Pruner.start(config.retention(), database.dsl(), clock, meters));
        return scheduler;
    }

    /**
     * The recorder, in the scheduler role (one group across every scheduler): it records the
     * configured {@code topics} plus the extensions' topics when this process loaded extensions
     * (dev mode, or a worker in the same process).
     */
    private void recorder(ConveyorConfig config) {
        RecorderConfig settings = config.recorder(extensions == null ? Set.of() : extensions.topics());
        if (!settings.enabled()) {
            log.info("Recorder disabled (recorder.enabled: false): tasks produced straight to Kafka get their row "
                    + "when a worker picks them up");
        } else if (settings.topics().isEmpty()) {
            log.warn("Recorder not started: no task topic is known (topics: is empty), so tasks produced straight "
                    + "to Kafka get their row only when a worker picks them up");
        } else {
            // Records the workers have committed have their rows: the recorder skips them.
            WorkerGroupOffsets workers = own(WorkerGroupOffsets.of(settings, config.workerGroup()));
            own(QueuedRecorder.start(settings, new QueuedRecorder.Collaborators(store, meters, clock)
                    .skippingWhat(workers).withModes(config.statusModes())));
        }
    }

    /** background, interactive or scheduled for each topic of the loaded extensions. */
    private static java.util.Map<String, String> topicKinds(Extensions extensions) {
        java.util.Map<String, String> kinds = new java.util.HashMap<>();
        for (dev.conveyor.worker.spi.Extension e : extensions.all()) {
            String kind = e instanceof dev.conveyor.worker.spi.InteractiveExtension ? "interactive"
                    : e instanceof dev.conveyor.worker.spi.ScheduledExtension ? "scheduled" : "background";
            e.topics().forEach(t -> kinds.put(t, kind));
        }
        return kinds;
    }

    public IngressServer ingress(ConveyorConfig config, Set<String> extraTopics) {
        return ingress(config, extraTopics, java.util.Map.of());
    }

    public IngressServer ingress(ConveyorConfig config, Set<String> extraTopics,
            java.util.Map<String, dev.conveyor.producer.webhooks.WebhookSource> extraWebhooks) {
        if (!topicsEnsured) {
            ensureTopics(config, Set.of(), Optional.empty());
        }
        IngressConfig settings = config.ingress(extraTopics, extraWebhooks);
        if (extensions != null) {
            settings = settings.withTopicKinds(topicKinds(extensions));
        }
        Producer<byte[], byte[]> requests = own(IngressProducer.create(settings));
        ingress = own(IngressServer.start(new IngressParts(settings, requests, database, store, clock, meters,
                metrics::scrape)));
        return ingress;
    }

    /**
     * For a process without the ingress (worker or scheduler roles): serves {@code GET /metrics},
     * {@code /health/live} and {@code /health/ready} on {@code http.host:http.port}.
     */
    public ManagementServer management(ConveyorConfig config, String role) {
        var http = config.ingress(Set.of());
        return own(ManagementServer.start(http.host(), http.port(), role, this::notReadyBecause, () -> database,
                metrics::scrape, config.bootstrap(), config.kafkaClient()));
    }

    @Override
    public void close() {
        closed = true;
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", c.getClass().getSimpleName(), e.getMessage());
            }
        }
    }
}
