package dev.conveyor.store.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.migrations.Migrations;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection pool of a Conveyor process, and jOOQ on top of it. Every part of a process
 * (status writer, scheduler, ingress, REST API) shares this instance; there is no second pool
 * and no SQL outside jOOQ.
 *
 * <p>The pool's connections use {@link DbConfig#schema()} as their search path, and the jOOQ
 * classes render unqualified names, so one database can hold several Conveyor installations in
 * separate schemas (the tests use that, one schema per test class).
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    static {
        // jOOQ prints a banner and tips on first use unless told not to.
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
    }

    private final DbConfig config;
    private final HikariDataSource dataSource;
    private final DSLContext dsl;

    private Database(DbConfig config, HikariDataSource dataSource) {
        this.config = config;
        this.dataSource = dataSource;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings());
    }

    /**
     * Opens the pool (connecting once to fail fast with a clear message) without migrating.
     *
     * @throws IllegalStateException naming the URL when the database cannot be reached
     */
    public static Database open(DbConfig config, String poolName) {
        Objects.requireNonNull(config, "config");
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.url());
        if (config.user() != null) {
            hikari.setUsername(config.user());
        }
        if (config.password() != null) {
            hikari.setPassword(config.password());
        }
        hikari.setSchema(config.schema());
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(Math.min(2, config.poolSize()));
        hikari.setPoolName(poolName);
        hikari.setInitializationFailTimeout(10_000);
        // 5 s rather than HikariCP's 30 s: while PostgreSQL is down, an API request answers 503 in seconds
        // and the background loops (which retry anyway) notice sooner.
        hikari.setConnectionTimeout(5_000);
        try {
            return new Database(config, new HikariDataSource(hikari));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + config.url() + " as "
                    + config.user() + ": " + rootMessage(e), e);
        }
    }

    /** Opens the pool and migrates the schema to the newest version. */
    public static Database openAndMigrate(DbConfig config, String poolName) {
        Database db = open(config, poolName);
        try {
            int applied = Migrations.migrate(db.dataSource, config.schema());
            log.info("Database {} schema {}: {} migration(s) applied", config.url(), config.schema(), applied);
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw new IllegalStateException("migrating " + config.url() + " schema " + config.schema() + " failed: "
                    + rootMessage(e), e);
        }
    }

    /** jOOQ settings shared by every DSLContext over Conveyor's tables. */
    public static Settings settings() {
        return new Settings()
                .withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_UNQUOTED)
                .withExecuteLogging(false);
    }

    /** jOOQ over the pool. */
    public DSLContext dsl() {
        return dsl;
    }

    /** The pool itself, for libraries that need a DataSource (Flyway). */
    public DataSource dataSource() {
        return dataSource;
    }

    public DbConfig config() {
        return config;
    }

    @Override
    public void close() {
        dataSource.close();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
