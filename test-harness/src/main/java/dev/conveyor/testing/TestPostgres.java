package dev.conveyor.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server of the test JVM, chosen in this order:
 * <ol>
 *   <li>{@code CONVEYOR_TEST_DB_URL} (JDBC URL; user and password from
 *       {@code CONVEYOR_TEST_DB_USER} / {@code CONVEYOR_TEST_DB_PASSWORD} or the URL itself);</li>
 *   <li>a Testcontainers {@code postgres} container when a Docker engine is available;</li>
 *   <li>an embedded PostgreSQL started from Maven Central binaries (zonky).</li>
 * </ol>
 * Test classes never share tables: each gets its own schema ({@link TestDatabase}).
 */
final class TestPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
    static final String POSTGRES_IMAGE = "postgres:17-alpine";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String description;
    private final AutoCloseable owned;

    private TestPostgres(String jdbcUrl, String user, String password, String description, AutoCloseable owned) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.description = description;
        this.owned = owned;
    }

    static TestPostgres start() {
        long t0 = System.nanoTime();
        TestPostgres pg;
        String url = System.getenv("CONVEYOR_TEST_DB_URL");
        if (url != null && !url.isBlank()) {
            pg = new TestPostgres(url.trim(), System.getenv("CONVEYOR_TEST_DB_USER"),
                    System.getenv("CONVEYOR_TEST_DB_PASSWORD"), "external server (CONVEYOR_TEST_DB_URL)", null);
        } else if (DockerClientFactory.instance().isDockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer(POSTGRES_IMAGE);
            container.start();
            pg = new TestPostgres(container.getJdbcUrl(), container.getUsername(), container.getPassword(),
                    "Testcontainers " + POSTGRES_IMAGE, container::stop);
        } else {
            try {
                EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
                pg = new TestPostgres(embedded.getJdbcUrl("postgres", "postgres"), "postgres", null,
                        "embedded PostgreSQL (zonky binaries)", embedded);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
        }
        try (Connection c = pg.connect()) {
            log.info("PostgreSQL for tests: {} ({} {}), ready in {} ms", pg.description,
                    c.getMetaData().getDatabaseProductName(), c.getMetaData().getDatabaseProductVersion(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL for tests is not reachable at " + pg.jdbcUrl + ": "
                    + e.getMessage(), e);
        }
        return pg;
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    String description() {
        return description;
    }

    Connection connect() throws SQLException {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl, props);
    }

    void execute(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws Exception {
        if (owned != null) {
            owned.close();
        }
    }
}
