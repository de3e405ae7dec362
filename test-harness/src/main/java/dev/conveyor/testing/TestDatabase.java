package dev.conveyor.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.migrations.Migrations;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * A PostgreSQL schema of one test class, migrated by Flyway with Conveyor's migrations, reached
 * through a small HikariCP pool whose connections use it as their search path. Dropped (with
 * everything in it) when the test class ends.
 */
public final class TestDatabase implements AutoCloseable {

    private final TestPostgres server;
    private final String schema;
    private final HikariDataSource dataSource;
    private final DSLContext dsl;
    private final int migrationsApplied;

    private TestDatabase(TestPostgres server, String schema) {
        this.server = server;
        this.schema = schema;
        this.dataSource = new HikariDataSource(poolConfig(server, schema, "conveyor-test-" + schema));
        this.migrationsApplied = Migrations.migrate(dataSource, schema);
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES);
    }

    static TestDatabase create(TestPostgres server, String schema) {
        return new TestDatabase(server, schema);
    }

    private static HikariConfig poolConfig(TestPostgres server, String schema, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.jdbcUrl());
        if (server.user() != null) {
            config.setUsername(server.user());
        }
        if (server.password() != null) {
            config.setPassword(server.password());
        }
        config.setSchema(schema);
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(0);
        config.setPoolName(poolName);
        return config;
    }

    /** The schema's name; every connection of {@link #dataSource()} uses it as its search path. */
    public String schema() {
        return schema;
    }

    /** Pooled connections to the test schema. Owned by the harness: do not close. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** jOOQ over {@link #dataSource()}. */
    public DSLContext dsl() {
        return dsl;
    }

    /** JDBC URL of the server (the schema is chosen per connection, see {@link #schema()}). */
    public String jdbcUrl() {
        return server.jdbcUrl();
    }

    /** User for {@link #jdbcUrl()}, or null when the URL carries it. */
    public String user() {
        return server.user();
    }

    /** Password for {@link #jdbcUrl()}, or null. */
    public String password() {
        return server.password();
    }

    /** How many migrations Flyway applied when the schema was created. */
    public int migrationsApplied() {
        return migrationsApplied;
    }

    /** Which PostgreSQL this is (embedded, container or external), for test output. */
    public String serverDescription() {
        return server.description();
    }

    /**
     * A second, independent schema on the same server, migrated the same way, for tests that need
     * a pristine database of their own (e.g. code generation). The caller closes it.
     */
    public TestDatabase freshSibling(String suffix) {
        Objects.requireNonNull(suffix, "suffix");
        return new TestDatabase(server, schema + "_" + suffix);
    }

    /**
     * Flyway set up for another schema of this server, to migrate it step by step ({@code .target("9")}):
     * how a test builds the database an upgrade starts from. The caller drops that schema.
     */
    public org.flywaydb.core.api.configuration.FluentConfiguration flyway(String otherSchema) {
        return org.flywaydb.core.Flyway.configure()
                .configuration(Migrations.flyway(dataSource, otherSchema).getConfiguration())
                .dataSource(jdbcUrl(), user(), password());
    }

    /** A connection of its own (not from the pool) whose search path is {@code otherSchema}, created if missing. */
    public java.sql.Connection connect(String otherSchema) throws java.sql.SQLException {
        java.util.Properties props = new java.util.Properties();
        if (user() != null) {
            props.setProperty("user", user());
        }
        if (password() != null) {
            props.setProperty("password", password());
        }
        java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), props);
        try (java.sql.Statement s = c.createStatement()) {
            s.execute("create schema if not exists \"" + otherSchema + "\"");
            s.execute("set search_path to \"" + otherSchema + "\"");
        }
        return c;
    }

    @Override
    public void close() {
        dataSource.close();
        server.execute("drop schema if exists \"" + schema + "\" cascade");
    }
}
