package dev.conveyor.worker.scheduler.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sleeps until a deadline or until PostgreSQL notifies that a delivery was inserted (channel
 * {@code conveyor_due_<schema>}, see migration V2). Holds one connection of the process's pool
 * while listening; reconnects after a failure (a missed notification costs at most one safety
 * poll interval).
 */
public final class DueListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DueListener.class);

    private final DataSource dataSource;
    private final String channel;
    private Connection connection;
    private PGConnection pg;

    public DueListener(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.channel = "conveyor_due_" + schema;
    }

    /**
     * Waits up to {@code max} for a notification.
     *
     * @return the earliest due time announced, or null when none arrived in time
     */
    public Instant await(Duration max) {
        long ms = Math.max(1, max.toMillis());
        try {
            ensureListening();
            PGNotification[] notifications = pg.getNotifications((int) Math.min(Integer.MAX_VALUE, ms));
            Instant earliest = null;
            if (notifications != null) {
                for (PGNotification n : notifications) {
                    Instant due = parse(n.getParameter());
                    if (due != null && (earliest == null || due.isBefore(earliest))) {
                        earliest = due;
                    }
                }
            }
            return earliest;
        } catch (SQLException e) {
            log.warn("Listening for scheduled deliveries failed ({}); reconnecting", e.getMessage());
            closeQuietly();
            sleep(Math.min(ms, 1000));
            return null;
        }
    }

    private void ensureListening() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return;
        }
        connection = dataSource.getConnection();
        connection.setAutoCommit(true);
        pg = connection.unwrap(PGConnection.class);
        DSL.using(connection, SQLDialect.POSTGRES).query("listen {0}", DSL.name(channel)).execute();
    }

    private static Instant parse(String epochSeconds) {
        try {
            double seconds = Double.parseDouble(epochSeconds);
            long micros = Math.round(seconds * 1_000_000);
            return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1000L);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeQuietly() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // The connection is broken anyway; the pool replaces it.
        }
        connection = null;
        pg = null;
    }

    @Override
    public void close() {
        closeQuietly();
    }
}
