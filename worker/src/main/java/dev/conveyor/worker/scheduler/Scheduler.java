package dev.conveyor.worker.scheduler;

import dev.conveyor.schema.db.Database;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.status.JooqStatusStore;
import dev.conveyor.worker.scheduler.internal.DelayedIntake;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import dev.conveyor.worker.scheduler.internal.DueListener;
import dev.conveyor.worker.scheduler.internal.RecurringFires;
import dev.conveyor.worker.outbound.internal.OutboxDelivery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler: redelivers rescheduled and future-dated tasks when their countdown ends, and
 * fires recurring schedules. Nothing per pending delivery is held in memory: the queue is the
 * {@code scheduled_deliveries} table, so a million pending deliveries cost the JVM nothing.
 *
 * <p>It sleeps until the earliest due time it knows of, and is woken early by PostgreSQL
 * LISTEN/NOTIFY when an earlier delivery is inserted; a bounded safety poll
 * ({@code scheduler.safety-poll}) covers a missed notification. Any number of schedulers may run
 * on the same tables: claims use {@code FOR UPDATE SKIP LOCKED}.
 *
 * <p>It also delivers the {@code outbox} (callbacks and notifications of terminal statuses) on a
 * thread of its own, {@code conveyor-outbox}, so a slow receiver never delays a redelivery.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    /**
     * What a scheduler needs from its process.
     *
     * @param database the process's one pool (one of its connections is held for LISTEN)
     * @param clock time source for due times and fires
     * @param meters where {@code conveyor.scheduler.*} meters go
     */
    public record Collaborators(Database database, Clock clock, io.micrometer.core.instrument.MeterRegistry meters) {
        public Collaborators {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(meters, "meters");
        }

        /** Without metrics (they go to a registry nobody reads). */
        public Collaborators(Database database, Clock clock) {
            this(database, clock, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        }
    }

    private final SchedulerConfig config;
    private final Clock clock;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Deliveries deliveries;
    private final RecurringFires fires;
    private final DueListener listener;
    private final DelayedIntake intake;
    private final Thread loopThread;
    private final Thread intakeThread;
    private final OutboxDelivery outbox;
    private final Thread outboxThread;
    private volatile boolean stopping;
    private final Database database;
    private final java.util.concurrent.atomic.AtomicLong backlog = new java.util.concurrent.atomic.AtomicLong();
    private static final Duration BACKLOG_REFRESH = Duration.ofSeconds(10);
    private long backlogRefreshedAt;
    /** Parallel delivery transactions during a burst (each holds one connection while it runs). */
    static final int DELIVERY_THREADS = 3;
    private final java.util.concurrent.ExecutorService deliveryPool =
            java.util.concurrent.Executors.newFixedThreadPool(DELIVERY_THREADS,
                    Thread.ofPlatform().daemon().name("conveyor-delivery-", 0).factory());

    private Scheduler(SchedulerConfig config, Collaborators c, Runnable afterProduce) {
        this.config = config;
        this.clock = c.clock();
        dev.conveyor.worker.internal.InternalTopics.ensure(config.bootstrap(), config.kafkaClient(),
                java.util.List.of(config.delayedTopic(), config.dlqTopic(), config.traceTopic()));
        this.producer = new KafkaProducer<>(producerProperties(config));
        io.micrometer.core.instrument.Timer lateness = io.micrometer.core.instrument.Timer
                .builder("conveyor.scheduler.lateness")
                .description("How late deliveries reached Kafka: acknowledgement time minus due time")
                .publishPercentileHistogram().register(c.meters());
        io.micrometer.core.instrument.Gauge.builder("conveyor.scheduler.backlog", backlog,
                        java.util.concurrent.atomic.AtomicLong::doubleValue)
                .description("Pending scheduled deliveries (future-dated and rescheduled tasks), refreshed every "
                        + BACKLOG_REFRESH.toSeconds() + " s").register(c.meters());
        this.database = c.database();
        this.deliveries = new Deliveries(c.database().dsl(), producer, config.node(), config.batchSize(), afterProduce,
                lateness);
        this.fires = new RecurringFires(c.database().dsl(), producer);
        this.listener = new DueListener(c.database().dataSource(), c.database().config().schema());
        this.intake = new DelayedIntake(new KafkaConsumer<>(consumerProperties(config)), producer,
                new JooqStatusStore(c.database().dsl(), config.node(), config.outbound()), clock, config.delayedTopic(),
                config.dlqTopic());
        this.outbox = new OutboxDelivery(c.database().dsl(), config.outbound(), clock, c.meters());
        this.outboxThread = Thread.ofPlatform().name("conveyor-outbox").unstarted(outbox);
        fires.sync(config.schedules(), clock.instant());
        this.loopThread = Thread.ofPlatform().name("conveyor-scheduler").unstarted(this::loop);
        this.intakeThread = Thread.ofPlatform().name("conveyor-delayed-intake").unstarted(intake);
    }

    /**
     * Starts a scheduler: upserts the configured schedules, then runs the delivery loop and the
     * delayed-topic intake on their own threads.
     */
    public static Scheduler start(SchedulerConfig config, Collaborators collaborators) {
        Scheduler s = new Scheduler(config, collaborators, () -> {});
        s.loopThread.start();
        s.intakeThread.start();
        s.outboxThread.start();
        if (config.outbound().callbacks().secret() == null) {
            log.warn("callbacks.secret is not set: callbacks and notifications are sent unsigned");
        }
        log.info("Scheduler started: node={} group={} batch-size={} safety-poll={} schedules={} outbound={}",
                config.node(), config.group(), config.batchSize(), config.safetyPoll(),
                config.schedules().stream().map(ScheduleDefinition::name).toList(), config.outbound().describe());
        return s;
    }

    private void refreshBacklog() {
        long now = System.nanoTime();
        if (backlogRefreshedAt != 0 && now - backlogRefreshedAt < BACKLOG_REFRESH.toNanos()) {
            return;
        }
        backlogRefreshedAt = now;
        backlog.set(database.dsl().fetchCount(dev.conveyor.schema.db.jooq.Tables.SCHEDULED_DELIVERIES));
    }

    private void loop() {
        long errorDelayMs = 100;
        while (!stopping) {
            try {
                deliverAllDue();
                fires.fireDue(clock.instant());
                refreshBacklog();
                Instant next = earliest(deliveries.earliestDue(), fires.earliestFire());
                Duration wait = config.safetyPoll();
                if (next != null) {
                    Duration untilNext = Duration.between(clock.instant(), next);
                    wait = untilNext.compareTo(wait) < 0 ? untilNext : wait;
                }
                if (!wait.isNegative() && !wait.isZero()) {
                    listener.await(wait);
                }
                errorDelayMs = 100;
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                log.warn("Scheduler cycle failed ({}); retrying in {} ms", e.getMessage(), errorDelayMs);
                try {
                    Thread.sleep(errorDelayMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                errorDelayMs = Math.min(5_000, errorDelayMs * 2);
            }
        }
    }

    /**
     * Delivers everything due now, with {@link #DELIVERY_THREADS} transactions in parallel while
     * batches come back full (a burst): SKIP LOCKED hands each a different set of rows.
     */
    private void deliverAllDue() {
        boolean burst = deliveries.deliverDue(clock.instant()) == config.batchSize();
        while (burst && !stopping) {
            Instant now = clock.instant();
            List<java.util.concurrent.Future<Integer>> batches = new java.util.ArrayList<>();
            for (int i = 0; i < DELIVERY_THREADS; i++) {
                batches.add(deliveryPool.submit(() -> deliveries.deliverDue(now)));
            }
            burst = false;
            for (var batch : batches) {
                try {
                    burst |= batch.get() == config.batchSize();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    @Override
    public void close() {
        stopping = true;
        intake.stop();
        outbox.close();
        join(loopThread);
        join(intakeThread);
        join(outboxThread);
        outbox.release();
        deliveryPool.shutdown();
        listener.close();
        producer.close(Duration.ofSeconds(10));
        log.info("Scheduler stopped: node={}", config.node());
    }

    private static void join(Thread t) {
        try {
            t.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Properties producerProperties(SchedulerConfig config) {
        return KafkaClients.producer(config.bootstrap(), config.node() + "-scheduler", config.kafkaClient());
    }

    private static Properties consumerProperties(SchedulerConfig config) {
        java.util.Map<String, Object> tuning = new java.util.HashMap<>();
        tuning.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        tuning.putAll(config.kafkaClient());
        return KafkaClients.consumer(config.bootstrap(), config.group(), config.node() + "-delayed-intake", tuning);
    }
}
