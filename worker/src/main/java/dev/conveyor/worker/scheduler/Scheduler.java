package dev.conveyor.worker.scheduler;

import dev.conveyor.store.db.Database;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.worker.internal.Retry;
import dev.conveyor.worker.scheduler.internal.DelayedIntake;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import dev.conveyor.worker.scheduler.internal.DeliveryPipeline;
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
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler: redelivers rescheduled and future-dated tasks when their countdown ends, and
 * fires recurring schedules. Nothing per pending delivery is held in memory: the queue is the
 * {@code scheduled_deliveries} table, so a million pending deliveries cost the JVM nothing.
 *
 * <p>Deliveries are claimed {@link #CLAIM_AHEAD} before they are due, under a lease
 * ({@code claimed_by}, {@code claimed_until}), with their tasks queued at the new attempt; a sender
 * thread produces each record {@link #SEND_AHEAD} before its due time, marked with the
 * {@code conveyor_not_before} header (the worker runs it at its due time, never earlier), and a
 * finisher deletes the rows after Kafka acknowledged them, so no database work sits between a due
 * time and its produce. At most
 * {@link #CLAIM_AHEAD_BATCHES} batches are held in memory. The loop sleeps until the earliest
 * claimable due time minus the claim-ahead window, and is woken early by PostgreSQL LISTEN/NOTIFY
 * when a delivery is inserted; a bounded safety poll ({@code scheduler.safety-poll}) covers a
 * missed notification and the end of a dead scheduler's leases. Any number of schedulers may run
 * on the same tables: claims use {@code FOR UPDATE SKIP LOCKED} and respect each other's leases.
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
     * @param store the process's status store; null: the scheduler makes one over {@code database}
     * @param producer the process's Kafka producer, which the scheduler does not close; null: the
     *                 scheduler makes its own, creates the internal topics when missing, and closes it
     */
    public record Collaborators(Database database, Clock clock, io.micrometer.core.instrument.MeterRegistry meters,
                                StatusStore store, Producer<byte[], byte[]> producer) {
        public Collaborators {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(meters, "meters");
        }

        /** A scheduler that makes its own Kafka producer. */
        public Collaborators(Database database, Clock clock, io.micrometer.core.instrument.MeterRegistry meters) {
            this(database, clock, meters, null, null);
        }

        /** Without metrics (they go to a registry nobody reads). */
        public Collaborators(Database database, Clock clock) {
            this(database, clock, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        }

        /**
         * The same, sharing the process's status store and Kafka producer, which the scheduler does
         * not close (a composition root that made them has also created the internal topics).
         */
        public Collaborators sharing(StatusStore sharedStore, Producer<byte[], byte[]> sharedProducer) {
            return new Collaborators(database, clock, meters, Objects.requireNonNull(sharedStore, "store"),
                    Objects.requireNonNull(sharedProducer, "producer"));
        }
    }

    private final SchedulerConfig config;
    private final Clock clock;
    private final Producer<byte[], byte[]> producer;
    private final boolean ownsProducer;
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
    private final DeliveryPipeline pipeline;
    /** Parallel claim transactions during a burst (each holds one connection while it runs). */
    static final int CLAIM_THREADS = 3;
    private final java.util.concurrent.ExecutorService claimPool =
            java.util.concurrent.Executors.newFixedThreadPool(CLAIM_THREADS,
                    Thread.ofPlatform().daemon().name("conveyor-delivery-claim-", 0).factory());
    /** Most deliveries claimed ahead at once: {@value #CLAIM_AHEAD_BATCHES} batches. */
    static final int CLAIM_AHEAD_BATCHES = 10;

    /**
     * How far ahead of their due time deliveries are claimed (and their tasks queued): the
     * database work of a delivery happens in this window, so that producing it at its due time is
     * all that is left to do then.
     */
    static final Duration CLAIM_AHEAD = Duration.ofSeconds(2);
    /**
     * How far ahead of its due time a claimed delivery is produced, with the
     * {@code conveyor_not_before} header the worker holds it by: under a burst of due deliveries
     * the trip through Kafka (and the worker's decoding and status read) then happens before the
     * due time instead of after it. Shorter than {@link #CLAIM_AHEAD}, so rows are claimed first.
     */
    static final Duration SEND_AHEAD = Duration.ofSeconds(1);
    private static final Duration MIN_WAIT = Duration.ofMillis(5);

    private Scheduler(SchedulerConfig config, Collaborators c, Runnable afterProduce) {
        this.config = config;
        this.clock = c.clock();
        // Whoever makes the producer creates the internal topics (see Worker.Collaborators).
        this.ownsProducer = c.producer() == null;
        if (ownsProducer) {
            config.internalTopics().ensure(config.bootstrap(), config.kafkaClient());
        }
        this.producer = ownsProducer ? new KafkaProducer<>(producerProperties(config)) : c.producer();
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
        this.pipeline = new DeliveryPipeline(deliveries, clock, claimAheadCapacity(config), SEND_AHEAD);
        this.fires = new RecurringFires(c.database().dsl(), producer);
        this.listener = new DueListener(c.database().dataSource(), c.database().config().schema());
        this.intake = new DelayedIntake(new KafkaConsumer<>(consumerProperties(config)), producer,
                c.store() != null ? c.store() : new JooqStatusStore(c.database().dsl(), config.node(), config.outbound()),
                clock, config.delayedTopic(),
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
        s.pipeline.start();
        s.loopThread.start();
        s.intakeThread.start();
        s.outboxThread.start();
        if (config.outbound().callbacks().secret() == null) {
            log.warn("callbacks.secret is not set: callbacks and notifications are sent unsigned");
        }
        log.info("Scheduler started: node={} group={} batch-size={} safety-poll={} claim-ahead={} (at most {} "
                        + "deliveries, lease {} past that) schedules={} outbound={}",
                config.node(), config.group(), config.batchSize(), config.safetyPoll(), CLAIM_AHEAD,
                claimAheadCapacity(config), Deliveries.LEASE,
                config.schedules().stream().map(ScheduleDefinition::name).toList(), config.outbound().describe());
        return s;
    }

    private void refreshBacklog() {
        long now = System.nanoTime();
        if (backlogRefreshedAt != 0 && now - backlogRefreshedAt < BACKLOG_REFRESH.toNanos()) {
            return;
        }
        backlogRefreshedAt = now;
        backlog.set(database.dsl().fetchCount(dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES));
    }

    private void loop() {
        Retry retry = Retry.untilStopped();
        while (!stopping) {
            try {
                Instant now = clock.instant();
                boolean more = claimAhead(now);
                fires.fireDue(clock.instant());
                refreshBacklog();
                if (more) {
                    // The window is full: claim again as soon as deliveries leave it.
                    pipeline.awaitRoom(config.safetyPoll());
                    continue;
                }
                now = clock.instant();
                Instant claimable = deliveries.earliestClaimable(now);
                Instant next = earliest(claimable == null ? null : claimable.minus(CLAIM_AHEAD), fires.earliestFire());
                Duration wait = config.safetyPoll();
                if (next != null) {
                    Duration untilNext = Duration.between(now, next);
                    wait = untilNext.compareTo(wait) < 0 ? untilNext : wait;
                }
                // A claimable row inside the window that the last claim did not get is being claimed
                // by another scheduler (SKIP LOCKED passed it over): look again shortly, do not spin.
                if (wait.compareTo(MIN_WAIT) < 0) {
                    wait = MIN_WAIT;
                }
                listener.await(wait);
                retry.succeeded();
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                if (!retry.pauseAfter(log, "Scheduler cycle", e)) {
                    break; // interrupted
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /**
     * Claims every delivery due within {@link #CLAIM_AHEAD} that fits in the window and hands them
     * to the pipeline, which produces each at its due time. One claim transaction at a time while
     * claims come back short; while they come back full (a burst), {@link #CLAIM_THREADS} claim
     * transactions in parallel, which SKIP LOCKED gives different rows.
     *
     * @return true when the window filled up before the claimable rows ran out
     */
    private boolean claimAhead(Instant now) {
        int limit = Math.min(pipeline.room(), config.batchSize());
        if (limit == 0) {
            return true;
        }
        List<Deliveries.Claimed> first = deliveries.claimOnly(now, now.plus(CLAIM_AHEAD), limit);
        pipeline.add(first);
        queueRescheduled(first, now);
        boolean burst = first.size() == limit;
        while (burst && !stopping) {
            int room = pipeline.room();
            if (room == 0) {
                return true;
            }
            int each = Math.max(1, Math.min(config.batchSize(), room / CLAIM_THREADS));
            Instant at = clock.instant();
            List<java.util.concurrent.Future<Integer>> claims = new java.util.ArrayList<>(CLAIM_THREADS);
            for (int i = 0; i < CLAIM_THREADS && i * each < room; i++) {
                claims.add(claimPool.submit(() -> {
                    List<Deliveries.Claimed> claimed = deliveries.claimOnly(at, at.plus(CLAIM_AHEAD), each);
                    pipeline.add(claimed);
                    queueRescheduled(claimed, at);
                    return claimed.size();
                }));
            }
            burst = false;
            for (var claim : claims) {
                try {
                    burst |= claim.get() == each;
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * After the claimed rows went to the pipeline (those inside the send-ahead time are produced by
     * then): their rescheduled tasks become {@code queued}. A failure only costs the history its
     * {@code queued} step: the worker runs a task it finds still {@code rescheduled} all the same.
     */
    private void queueRescheduled(List<Deliveries.Claimed> claimed, Instant now) {
        try {
            deliveries.queueRescheduled(claimed, now);
        } catch (RuntimeException e) {
            log.warn("Queueing {} redelivered task(s) failed ({}); they run all the same", claimed.size(),
                    e.getMessage());
        }
    }

    static int claimAheadCapacity(SchedulerConfig config) {
        return config.batchSize() * CLAIM_AHEAD_BATCHES;
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
        // Stop producing first: deliveries claimed ahead and not due yet are given back at once
        // (claimable by any scheduler), rather than produced or left to their lease.
        pipeline.close();
        join(loopThread);
        claimPool.shutdown();
        join(intakeThread);
        join(outboxThread);
        outbox.release();
        listener.close();
        if (ownsProducer) {
            producer.close(Duration.ofSeconds(10));
        }
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
        // Large polls: under a burst each batch is one transaction (one commit, one fsync), so
        // bigger batches store a burst of future-dated events sooner.
        tuning.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        tuning.putAll(config.kafkaClient());
        return KafkaClients.consumer(config.bootstrap(), config.group(), config.node() + "-delayed-intake", tuning);
    }
}
