package dev.conveyor.worker.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes expired finished tasks ({@link RetentionConfig}) every {@link #INTERVAL}, in the
 * scheduler role. Any number of schedulers may run one: a pass holds a PostgreSQL advisory lock,
 * so one prunes at a time and the others skip their turn. A pass that fails (the database is down)
 * is logged and tried again at the next turn; nothing is half-deleted, since each batch is one
 * statement.
 */
public final class Pruner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Pruner.class);
    /** Time between two passes: Oban's pruner runs every 30 s too. */
    public static final Duration INTERVAL = Duration.ofSeconds(30);
    /** Time between two passes while the previous one had a full batch or more to delete. */
    static final Duration BUSY_PAUSE = Duration.ofSeconds(1);

    private final PrunePass pass;
    private final Clock clock;
    private final Counter tasks;
    private final Counter outbox;
    private final Counter keys;
    private final Counter lean;
    private final Thread thread;
    private volatile boolean closed;

    private Pruner(PrunePass pass, Clock clock, MeterRegistry meters) {
        this.pass = pass;
        this.clock = clock;
        this.tasks = Counter.builder("conveyor.pruner.deleted").tag("table", "tasks")
                .description("Finished tasks deleted by retention").register(meters);
        this.outbox = Counter.builder("conveyor.pruner.deleted").tag("table", "outbox")
                .description("Delivered or failed outbox rows deleted by retention").register(meters);
        this.keys = Counter.builder("conveyor.pruner.deleted").tag("table", "idempotency_keys")
                .description("Idempotency-Keys past their window deleted by retention").register(meters);
        this.lean = Counter.builder("conveyor.pruner.deleted").tag("table", "lean_done")
                .description("Rows of lean topics' first-run successes deleted after their hour").register(meters);
        this.thread = Thread.ofPlatform().daemon().name("conveyor-pruner").unstarted(this::loop);
    }

    /** Starts pruning: the first pass right away, then one every {@link #INTERVAL}. */
    public static Pruner start(RetentionConfig config, DSLContext dsl, Clock clock, MeterRegistry meters) {
        Pruner pruner = new Pruner(new PrunePass(Objects.requireNonNull(dsl, "dsl"), config), clock, meters);
        pruner.thread.start();
        log.info("Pruner started: finished tasks kept {}, outbox rows {}, idempotency keys {}{}", config.ages(),
                config.outbox(), config.idempotencyKeys(),
                config.topics().isEmpty() ? "" : ", per topic " + config.topics());
        return pruner;
    }

    /**
     * One pass now, on the caller's thread ({@code conveyor prune}).
     *
     * @param dry count, delete nothing
     */
    public static PruneReport once(RetentionConfig config, DSLContext dsl, Clock clock, boolean dry) {
        return new PrunePass(dsl, config).run(clock.instant(), dry);
    }

    /** What the passes since the last log line deleted. */
    private static final class Summary {
        final java.time.Instant since;
        final java.util.Map<String, java.util.Map<dev.conveyor.schema.TaskStatus, Long>> byTopic = new java.util.TreeMap<>();
        long tasks;
        long outbox;
        long keys;
        long lean;
        int passes;

        Summary(java.time.Instant since) {
            this.since = since;
        }

        void add(PruneReport r) {
            passes++;
            tasks += r.tasksTotal();
            outbox += r.outboxRows();
            keys += r.idempotencyKeys();
            lean += r.leanDone();
            r.tasks().forEach((topic, counts) -> counts.forEach((status, n) -> byTopic
                    .computeIfAbsent(topic, t -> new java.util.EnumMap<>(dev.conveyor.schema.TaskStatus.class))
                    .merge(status, n, Long::sum)));
        }

        boolean isEmpty() {
            return tasks == 0 && outbox == 0 && keys == 0 && lean == 0;
        }
    }

    private Summary logged;

    private void loop() {
        // The first pass that deletes something is logged at once (an upgraded installation sees it start).
        logged = new Summary(clock.instant().minus(INTERVAL));
        while (!closed) {
            Duration pause = INTERVAL;
            try {
                PruneReport r = pass.run(clock.instant(), false);
                if (r.tasksTotal() >= PrunePass.BATCH || r.leanDone() >= PrunePass.BATCH) {
                    // Behind (more expired rows came in during the pass than a batch): go again at once,
                    // so the pruner keeps up with a high arrival rate instead of falling behind by 30 s a turn.
                    pause = BUSY_PAUSE;
                }
                tasks.increment(r.tasksTotal());
                outbox.increment(r.outboxRows());
                keys.increment(r.idempotencyKeys());
                lean.increment(r.leanDone());
                logged.add(r);
                if (!logged.isEmpty() && !clock.instant().isBefore(logged.since.plus(INTERVAL))) {
                    // A busy pruner passes every second or so: one line per interval, summed.
                    log.info("Pruned {} finished task(s) {}, {} outbox row(s), {} idempotency key(s) and {} lean "
                            + "success row(s) in {} pass(es)", logged.tasks, logged.byTopic, logged.outbox, logged.keys,
                            logged.lean, logged.passes);
                    logged = new Summary(clock.instant());
                }
                PruneReport.History h = r.history();
                if (h.problem() != null) {
                    log.warn("History partitions not maintained this pass; tried again in {} s: {}", INTERVAL.toSeconds(),
                            h.problem());
                }
                if (!h.created().isEmpty() || !h.dropped().isEmpty()) {
                    log.info("History partitions: created {}, dropped {} ({} transition(s) of kept tasks moved)",
                            h.created(), h.dropped().keySet(), h.keptTransitionsMoved());
                }
            } catch (RuntimeException e) {
                log.warn("Pruning failed; tried again in {} s: {}", INTERVAL.toSeconds(), e.toString());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
