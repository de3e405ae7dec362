package dev.conveyor.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.store.db.Database;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Lock contention during a scheduler workload, from its creation to {@link #put}: deadlocks
 * PostgreSQL detected (pg_stat_database), the failures the scheduler, the delayed intake and the
 * status writers logged (with the threads that lost a deadlock), and lock waits sampled every
 * {@value #SAMPLE_MS} ms from pg_stat_activity by statement (samples x interval is roughly the
 * time spent waiting).
 */
final class Contention {

    static final int SAMPLE_MS = 20;

    private final Database db;
    private final long deadlocksBefore;
    private final LogCounter logs = LogCounter.attach();
    private final Map<String, AtomicInteger> lockWaits = new ConcurrentHashMap<>();
    private final AtomicInteger samples = new AtomicInteger();
    private volatile boolean stop;
    private final Thread sampler;

    Contention(Database db) {
        this.db = db;
        this.deadlocksBefore = deadlocks();
        sampler = Thread.ofPlatform().daemon().name("bench-lock-sampler").start(() -> {
            while (!stop) {
                try {
                    for (var r : db.dsl().resultQuery("select left(query, 60) from pg_stat_activity "
                            + "where datname = current_database() and wait_event_type = 'Lock' "
                            + "and pid <> pg_backend_pid()")
                            .fetch()) {
                        lockWaits.computeIfAbsent(statement(r.get(0, String.class)), k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                    samples.incrementAndGet();
                    Thread.sleep(SAMPLE_MS);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // The pool is busy or closing: skip this sample.
                }
            }
        });
    }

    private long deadlocks() {
        return ((Number) db.dsl().fetchValue(
                "select deadlocks from pg_stat_database where datname = current_database()")).longValue();
    }

    /** Who is waiting, named by the statement it runs. */
    private static String statement(String sql) {
        String q = sql == null ? "" : sql.trim().toLowerCase(Locale.ROOT);
        if (q.startsWith("update tasks set status")) {
            return "scheduler: update tasks (requeue rescheduled)";
        } else if (q.startsWith("update tasks set next_run_at")) {
            return "scheduler: update tasks (clear next_run_at)";
        } else if (q.startsWith("insert into tasks")) {
            return "status store: upsert tasks (worker status writer or delayed intake)";
        } else if (q.startsWith("delete from scheduled_deliveries")) {
            return "scheduler: delete scheduled_deliveries";
        }
        return q.length() > 40 ? q.substring(0, 40) : q;
    }

    /** Stops sampling and writes the figures; call before the pool closes. */
    void put(Line line) throws InterruptedException {
        stop = true;
        sampler.join(5000);
        logs.detach();
        Thread.sleep(1100); // PostgreSQL publishes database statistics about once a second
        ObjectNode json = line.json();
        json.put("lock_wait_samples_every_ms", SAMPLE_MS);
        json.put("lock_wait_samples_taken", samples.get());
        ObjectNode waits = json.putObject("lock_wait_samples_by_statement");
        new TreeMap<>(lockWaits).forEach((k, v) -> waits.put(k, v.get()));
        json.put("pg_deadlocks", deadlocks() - deadlocksBefore);
        json.put("scheduler_cycle_failures", logs.count("scheduler_cycle_failures"));
        json.put("status_write_failures", logs.count("status_write_failures"));
        json.put("intake_store_failures", logs.count("intake_store_failures"));
        ObjectNode victims = json.putObject("deadlock_victims_by_thread");
        logs.deadlockVictims().forEach(victims::put);
    }

    /** Counts the warnings of the scheduler, intake and status writers, and which threads lost a deadlock. */
    static final class LogCounter extends AppenderBase<ILoggingEvent> {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> victims = new ConcurrentHashMap<>();

        static LogCounter attach() {
            LogCounter counter = new LogCounter();
            if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    instanceof ch.qos.logback.classic.Logger root) {
                counter.setContext(root.getLoggerContext());
                counter.setName("bench-log-counter");
                counter.start();
                root.addAppender(counter);
            }
            return counter;
        }

        void detach() {
            if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    instanceof ch.qos.logback.classic.Logger root) {
                root.detachAppender(this);
            }
            stop();
        }

        @Override
        protected void append(ILoggingEvent e) {
            if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
                return;
            }
            String logger = e.getLoggerName();
            String message = e.getFormattedMessage();
            if (logger.endsWith(".Scheduler") && message.startsWith("Scheduler cycle failed")) {
                bump(counts, "scheduler_cycle_failures");
            } else if (isStatusWriteFailure(logger, message)) {
                bump(counts, "status_write_failures");
            } else if (logger.endsWith(".DelayedIntake") && message.startsWith("Storing")) {
                bump(counts, "intake_store_failures");
            }
            if (message.contains("deadlock detected")) {
                bump(victims, e.getThreadName());
            }
        }

        /**
         * Whether a warning reports a failed status write of the worker's completion path. Since
         * the worker's split these come from three loggers: the status writer's own retries, the
         * acknowledged produce of side records (one "Producing to" line per failed record, as the
         * status writer logged before; its "Producing n record(s)" summary is not counted again),
         * and a completer's whole-batch failure.
         */
        static boolean isStatusWriteFailure(String logger, String message) {
            if (logger.endsWith(".StatusWriter") || logger.endsWith(".Completer")) {
                return message.contains("failed");
            }
            return logger.endsWith(".AcknowledgedSends") && message.startsWith("Producing to")
                    && message.contains("failed");
        }

        private static void bump(Map<String, AtomicInteger> map, String key) {
            map.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }

        int count(String key) {
            AtomicInteger c = counts.get(key);
            return c == null ? 0 : c.get();
        }

        Map<String, Integer> deadlockVictims() {
            Map<String, Integer> out = new TreeMap<>();
            victims.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }
    }
}
