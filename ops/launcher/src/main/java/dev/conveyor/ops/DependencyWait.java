package dev.conveyor.ops;

import dev.conveyor.store.db.DbConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for PostgreSQL and Kafka before a role starts, retrying with backoff (1 s doubling to 15 s)
 * for as long as it takes: a role started before its dependencies (a restart of the whole stack, a
 * Kubernetes pod scheduled before the database) reports not-ready and starts its work when they
 * come, instead of exiting into a supervisor's restart loop. Only a refusal that waiting cannot
 * cure stops start-up: PostgreSQL rejecting the user or password.
 */
final class DependencyWait {

    private static final Logger log = LoggerFactory.getLogger(DependencyWait.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration LONGEST_RETRY = Duration.ofSeconds(15);
    /** How long one check may take: a connection attempt, or Kafka answering a metadata request. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(5);

    private final BooleanSupplier stopping;
    private volatile String waitingFor;

    DependencyWait(BooleanSupplier stopping) {
        this.stopping = stopping;
    }

    /** What start-up waits for now ("PostgreSQL at …: connection refused"), or null when it waits for nothing. */
    String waitingFor() {
        return waitingFor;
    }

    /** Returns once PostgreSQL answers; false when the process is stopping meanwhile. */
    boolean postgres(DbConfig db) {
        return until("PostgreSQL at " + db.url(), () -> {
            Properties props = new Properties();
            if (db.user() != null) {
                props.setProperty("user", db.user());
            }
            if (db.password() != null) {
                props.setProperty("password", db.password());
            }
            props.setProperty("connectTimeout", Long.toString(CHECK_TIMEOUT.toSeconds()));
            props.setProperty("socketTimeout", Long.toString(CHECK_TIMEOUT.toSeconds()));
            try (Connection c = DriverManager.getConnection(db.url(), props)) {
                c.createStatement().execute("select 1");
                return null;
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (state != null && state.startsWith("28")) {
                    // Wrong user or password: waiting will not fix it.
                    throw new IllegalStateException("PostgreSQL at " + db.url() + " refused the login: "
                            + e.getMessage() + " (check db.user and db.password)", e);
                }
                return e.getMessage();
            }
        });
    }

    /** Returns once a Kafka broker answers; false when the process is stopping meanwhile. */
    boolean kafka(String bootstrap, Map<String, Object> client) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CHECK_TIMEOUT.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CHECK_TIMEOUT.toMillis());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "conveyor-startup-check");
        try (Admin admin = Admin.create(props)) {
            return until("Kafka at " + bootstrap, () -> {
                try {
                    admin.describeCluster().nodes().get(CHECK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
                    return null;
                } catch (java.util.concurrent.ExecutionException e) {
                    return String.valueOf(e.getCause() == null ? e : e.getCause().getMessage());
                } catch (java.util.concurrent.TimeoutException e) {
                    return "no answer within " + CHECK_TIMEOUT.toSeconds() + " s";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            });
        }
    }

    /** One check: null when the dependency answered, else why not. */
    private interface Check {
        String run() throws Exception;
    }

    private boolean until(String what, Check check) {
        Duration delay = FIRST_RETRY;
        long firstTry = System.nanoTime();
        int tries = 0;
        while (!stopping.getAsBoolean()) {
            String problem;
            try {
                problem = check.run();
            } catch (IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                problem = e.getMessage();
            }
            if (problem == null) {
                if (tries > 0) {
                    log.info("{} answers after {} s; starting", what, (System.nanoTime() - firstTry) / 1_000_000_000L);
                }
                waitingFor = null;
                return true;
            }
            tries++;
            waitingFor = what + ": " + problem;
            log.warn("Waiting for {} ({}); trying again in {} s", what, problem, delay.toSeconds());
            if (!sleep(delay)) {
                break;
            }
            delay = delay.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : delay.multipliedBy(2);
        }
        return false;
    }

    /** Sleeps in short slices so a stop is seen quickly; false when stopping. */
    private boolean sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < until) {
            if (stopping.getAsBoolean()) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !stopping.getAsBoolean();
    }
}
