package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

/** Which database failures the status API answers with 503 rather than 500. */
class DatabaseUnavailableTest {

    @Test
    void aPoolThatGaveUpWaitingForAConnectionIsUnavailable() {
        var timeout = new SQLTransientConnectionException("status - Connection is not available, request timed out "
                + "after 30000ms (total=0, active=0, idle=0, waiting=0)");
        assertThat(DatabaseUnavailable.is(new DataAccessException("SQL [select ...]", timeout))).isTrue();
    }

    @Test
    void connectionFailuresAndShutdownsAreUnavailable() {
        assertThat(DatabaseUnavailable.is(new DataAccessException("x", new SQLException("refused", "08001")))).isTrue();
        assertThat(DatabaseUnavailable.is(new DataAccessException("x", new SQLException("I/O error", "08006")))).isTrue();
        assertThat(DatabaseUnavailable.is(new SQLException("terminating connection due to administrator command",
                "57P01"))).isTrue();
        assertThat(DatabaseUnavailable.is(new SQLException("the database system is starting up", "57P03"))).isTrue();
        assertThat(DatabaseUnavailable.is(new RuntimeException(new ConnectException("Connection refused")))).isTrue();
    }

    @Test
    void otherFailuresAreNot() {
        assertThat(DatabaseUnavailable.is(new DataAccessException("x", new SQLException("syntax error", "42601"))))
                .isFalse();
        assertThat(DatabaseUnavailable.is(new DataAccessException("x", new SQLException("no state")))).isFalse();
        assertThat(DatabaseUnavailable.is(new IllegalStateException("bug"))).isFalse();
        assertThat(DatabaseUnavailable.is(null)).isFalse();
    }

    @Test
    void theAnswerIsA503WithRetryAfter() {
        assertThat(DatabaseUnavailable.ANSWER.status()).isEqualTo(503);
        assertThat(DatabaseUnavailable.ANSWER.error()).isEqualTo("unavailable");
        assertThat(DatabaseUnavailable.ANSWER.headers()).containsEntry("Retry-After", "5");
    }
}
