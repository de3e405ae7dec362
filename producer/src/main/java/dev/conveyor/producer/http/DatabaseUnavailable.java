package dev.conveyor.producer.http;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;

/**
 * Tells a database that cannot be reached apart from other database failures, so the status API
 * answers {@code 503} with {@code Retry-After} (try again: nothing is wrong with the request, and
 * an accepted task is safe in Kafka meanwhile) instead of a {@code 500} for a bug.
 *
 * <p>Unreachable means: the pool gave up waiting for a connection (HikariCP's
 * {@link SQLTransientConnectionException} after its connection timeout), a connection failed or
 * was refused (SQLSTATE class {@code 08}), or the server is shutting down or starting
 * ({@code 57P01..57P03}).
 */
final class DatabaseUnavailable {

    /** The status and body a client gets when the database is unreachable. */
    static final HttpError ANSWER = new HttpError(503, "unavailable",
            "the status database is not reachable; try again later", Map.of("Retry-After", "5"));

    private DatabaseUnavailable() {}

    /** Whether {@code failure} (or one of its causes) says the database cannot be reached right now. */
    static boolean is(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof ConnectException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }
}
