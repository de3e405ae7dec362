package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusStore;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.Extension;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one worker pool: the consumption (consumer thread: poll, hold, gate, dispatch), virtual
 * threads for executions (guard, invoke, normalize, hand off), the completers (status batches and
 * the side records that depend on them), the producer for dead letters, replies and traces, and
 * the extension config refresher.
 */
public final class WorkerRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);

    private final WorkerConfig config;
    private final Producer<byte[], byte[]> producer;
    private final boolean ownsProducer;
    private final ExecutorService executions;
    private final ScheduledExecutorService refresher;
    private final Completers completers;
    private final TaskConsumption consumption;
    private final Thread pollThread;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final WorkerMetrics metrics;

    /**
     * @param c what the worker gets from its process; {@code c.store()} must be set ({@code Worker.start}
     *          makes one when the process does not share its own)
     */
    public WorkerRuntime(WorkerConfig config, Worker.Collaborators c) {
        this.config = config;
        Extensions extensions = c.extensions();
        DSLContext dsl = c.dsl();
        StatusStore store = Objects.requireNonNull(c.store(), "store");
        MeterRegistry meters = c.meters();
        Clock clock = c.clock();
        Map<String, Route> routes = routes(config, extensions, meters);
        Set<String> topics = new HashSet<>(routes.keySet());
        topics.addAll(config.subscribe());
        if (topics.isEmpty()) {
            throw new IllegalStateException("the worker has no extensions and no topics to consume; add extensions "
                    + "(META-INF/services) or topics");
        }
        // Whoever makes the producer creates the internal topics: the composition root of a
        // process that shares its producer has done it once for every role.
        this.ownsProducer = c.producer() == null;
        if (ownsProducer) {
            config.internalTopics().ensure(config.bootstrap(), config.kafkaClient());
        }

        ExtensionConfigCache configs = new ExtensionConfigCache(dsl);
        configs.seed(extensions.all());
        recordTopicKinds(dsl, routes.values());

        this.metrics = new WorkerMetrics(meters, inFlight::get);
        this.producer = ownsProducer ? new KafkaProducer<>(producerProperties(config)) : c.producer();
        this.executions = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("conveyor-exec-", 0).factory());
        Settlements settled = new Settlements();
        this.completers = completers(config, store, settled, clock);
        this.consumption = consumption(config, topics, new Router(routes, configs), dsl, settled, clock);

        this.refresher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(
                "conveyor-config-refresh").factory());
        long refreshMs = config.configRefresh().toMillis();
        refresher.scheduleWithFixedDelay(() -> {
            try {
                configs.refresh();
            } catch (RuntimeException e) {
                log.warn("Refreshing extension configs failed: {}", e.getMessage());
            }
        }, refreshMs, refreshMs, TimeUnit.MILLISECONDS);

        completers.start();
        this.pollThread = Thread.ofPlatform().name("conveyor-poll-" + config.group()).start(consumption);
        log.info("Worker started: group={} node={} concurrency={} max-in-flight={} topics={} routes=[{}]",
                config.group(), config.node(), config.concurrency(), config.maxInFlight(), topics,
                String.join(", ", routes.values().stream().map(Route::describe).toList()));
    }

    public WorkerMetrics metrics() {
        return metrics;
    }

    /**
     * Writes which kind of extension serves each topic ({@code topic_kinds}), so that an ingress in
     * another process refuses an interactive request to a topic that gives no HTTP answer at once.
     */
    private static void recordTopicKinds(DSLContext dsl, java.util.Collection<Route> routes) {
        for (Route r : routes) {
            dsl.execute("insert into topic_kinds (topic, kind, extension) values (?, ?, ?) on conflict (topic) do update "
                    + "set kind = excluded.kind, extension = excluded.extension, updated_at = now()", r.topic(),
                    r.kind().name().toLowerCase(java.util.Locale.ROOT), r.extension().name());
        }
    }

    /** Records between poll and commit right now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Waits until the consumer got its first partitions; false on timeout. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return consumption.awaitAssignment(timeout);
    }

    /**
     * Stops like a crash: no more commits, queued outcomes dropped, running executions
     * interrupted. Everything not committed is delivered again to the next worker of the group.
     */
    public void abort() {
        consumption.abort();
        executions.shutdownNow();
        join(pollThread, Duration.ofSeconds(10));
        completers.abort();
        refresher.shutdownNow();
        if (ownsProducer) {
            producer.close(Duration.ZERO);
        }
    }

    /**
     * Stops gracefully: no new records, running executions get {@code worker.shutdown-grace} to
     * finish, their outcomes are recorded and committed.
     */
    @Override
    public void close() {
        consumption.stop();
        join(pollThread, config.shutdownGrace().plusSeconds(15));
        completers.stop(Duration.ofSeconds(30));
        refresher.shutdownNow();
        executions.shutdownNow();
        if (ownsProducer) {
            producer.close(Duration.ofSeconds(10));
        } else {
            producer.flush(); // the side records of the last outcomes; the process closes the producer
        }
        log.info("Worker stopped: group={} node={}", config.group(), config.node());
    }

    /** The route of every extension topic, with its guards registered as meters. */
    private static Map<String, Route> routes(WorkerConfig config, Extensions extensions, MeterRegistry meters) {
        Map<String, Route> routes = new LinkedHashMap<>();
        var bulkheads = io.github.resilience4j.bulkhead.BulkheadRegistry.ofDefaults();
        var limiters = io.github.resilience4j.ratelimiter.RateLimiterRegistry.ofDefaults();
        var breakers = io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry.ofDefaults();
        for (String topic : extensions.topics()) {
            Extension ext = extensions.forTopic(topic).orElseThrow();
            routes.put(topic, Route.resolve(topic, ext, config, bulkheads, limiters, breakers));
        }
        // Guard states as meters: resilience4j_circuitbreaker_state{name=<topic>,state=...}, calls, rate limiter permits.
        io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers)
                .bindTo(meters);
        io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics.ofRateLimiterRegistry(limiters)
                .bindTo(meters);
        io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheads).bindTo(meters);
        return routes;
    }

    /** The completers: status batches, side records, {@code running} marks and {@code onFinish} hooks. */
    private Completers completers(WorkerConfig config, StatusStore store, Settlements settled, Clock clock) {
        Completer.Parts parts = new Completer.Parts(store, producer, new DeadLetterer(config.dlqTopic(), metrics, clock),
                new TransitionTracer(producer, config.traceTopic(), config.node()), new FinishHooks(executions),
                settled, metrics, clock);
        return new Completers(config.statusWriters(),
                i -> new Completer(parts, config.statusBatchSize(), config.runningMarkAfter()),
                new InteractiveReplier(producer));
    }

    /** The consumer-group side: poll, hold, gate, dispatch and the executor behind them. */
    private TaskConsumption consumption(WorkerConfig config, Set<String> topics, Router router, DSLContext dsl,
            Settlements settled, Clock clock) {
        RunState state = new RunState();
        WriteAheadGate gate = new WriteAheadGate(writeAhead(config), completers);
        TaskExecutor executor = new TaskExecutor(new TaskExecutor.Parts(new Guard(config.concurrency()), completers,
                settled, gate, metrics, clock, state));
        HoldQueue holds = new HoldQueue(clock, System::nanoTime);
        OffsetLedger ledger = new OffsetLedger();
        StateReader states = new StateReader(dsl.configuration().connectionProvider(),
                config.statusModes().anyLean());
        Dispatcher dispatcher = new Dispatcher(new Dispatcher.Parts(router, holds, gate,
                new ExecutionStarter(gate, executions, executor)::start, completers::submit, states::load, ledger, inFlight,
                metrics, clock, state));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(config));
        return new GroupConsumption(new GroupConsumption.Parts(consumer, topics, dispatcher, ledger, holds, gate,
                settled, new PollDecoder(new TaskRecordCodec(clock), executions), states, metrics, inFlight, state),
                config.maxInFlight(), config.shutdownGrace());
    }

    private static void join(Thread thread, Duration timeout) {
        try {
            thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Properties consumerProperties(WorkerConfig config) {
        java.util.Map<String, Object> tuning = new java.util.HashMap<>();
        tuning.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(1000, config.maxInFlight()));
        tuning.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        tuning.putAll(config.kafkaClient());
        return KafkaClients.consumer(config.bootstrap(), config.group(), config.node() + "-worker", tuning);
    }

    private static Properties producerProperties(WorkerConfig config) {
        return KafkaClients.producer(config.bootstrap(), config.node() + "-worker-producer", config.kafkaClient());
    }

    /**
     * How many started executions may be without a durable outcome (running, or waiting for their
     * status write) before newly polled records wait to start: {@code worker.concurrency} (so the gate
     * never lowers how many run at once) plus one full batch for every status writer
     * ({@code status-writers × status-batch-size}). Measured on the benchmarks: a second batch per
     * writer left the burst of W3 up to ~0.7 s behind on its writes and drained no faster.
     */
    public static int writeAhead(WorkerConfig config) {
        return config.concurrency() + config.statusWriters() * config.statusBatchSize();
    }
}
