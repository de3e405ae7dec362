package dev.conveyor.migrations;

import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies Conveyor's Flyway migrations ({@code migrations/V*__*.sql}) to a PostgreSQL database.
 *
 * <p>The SQL files are the only source of the database schema: the jOOQ classes in
 * {@code conveyor-schema} are generated from a database migrated by this class, and every process
 * (worker, ingress, scheduler, {@code conveyor migrate}, the test harness) migrates through here.
 * Flyway takes a PostgreSQL advisory lock while migrating, so several processes starting at once
 * are safe: one migrates, the others wait and find nothing left to do.
 */
public final class Migrations {

    /** Classpath location of the SQL files inside this module's jar. */
    public static final String LOCATION = "classpath:dev/conveyor/migrations";

    /** Schema used when none is configured. */
    public static final String DEFAULT_SCHEMA = "public";

    private Migrations() {}

    /**
     * Migrates {@code schema} (created if missing) to the newest version.
     *
     * @param dataSource a data source whose connections may create objects in {@code schema}
     * @param schema the PostgreSQL schema that holds Conveyor's tables
     * @return the number of migrations applied by this call (0 when already up to date)
     */
    public static int migrate(DataSource dataSource, String schema) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(schema, "schema");
        MigrateResult result = flyway(dataSource, schema).migrate();
        return result.migrationsExecuted;
    }

    /** The Flyway instance Conveyor uses, for callers that need {@code info()} or {@code validate()}. */
    public static Flyway flyway(DataSource dataSource, String schema) {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations(LOCATION)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                .failOnMissingLocations(true)
                .validateMigrationNaming(true)
                .load();
    }
}
