package dev.conveyor.store.db;

import java.nio.file.Path;
import java.sql.Connection;
import javax.sql.DataSource;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.ForcedType;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Logging;
import org.jooq.meta.jaxb.Target;

/**
 * Generates the jOOQ classes of {@code conveyor-store} from a PostgreSQL schema that Flyway
 * migrated with {@code migrations/}. {@code PostgresDatabase} reads the live catalog, so jsonb,
 * check-constrained text, partial indexes and defaults come out exactly as PostgreSQL sees them
 * (the DDL-only simulation in H2 gets them wrong).
 */
final class JooqCodegen {

    static final String PACKAGE = "dev.conveyor.store.db.jooq";
    static final Path COMMITTED_SOURCES = Path.of("src", "generated", "java");

    private JooqCodegen() {}

    static void generate(DataSource dataSource, String inputSchema, Path targetDirectory) throws Exception {
        Configuration configuration = new Configuration()
                .withLogging(Logging.WARN)
                .withGenerator(new Generator()
                        .withName("org.jooq.codegen.JavaGenerator")
                        .withDatabase(new org.jooq.meta.jaxb.Database()
                                .withName("org.jooq.meta.postgres.PostgresDatabase")
                                .withInputSchema(inputSchema)
                                // Unqualified names: the schema is chosen by the connection's search path.
                                .withOutputSchemaToDefault(true)
                                // The partitions of task_transitions are read and written through their parent only.
                                .withExcludes("flyway_schema_history|task_transitions_(default|before_v10|p\\d+)")
                                .withForcedTypes(
                                        new ForcedType()
                                                .withName("INSTANT")
                                                .withIncludeTypes("(?i:timestamp\\ with\\ time\\ zone|timestamptz)"),
                                        new ForcedType()
                                                .withUserType("dev.conveyor.schema.TaskStatus")
                                                .withConverter("dev.conveyor.store.db.TaskStatusConverter")
                                                .withIncludeExpression("(?i:.*\\.(status|from_status|to_status))"),
                                        new ForcedType()
                                                .withUserType("dev.conveyor.schema.TaskKind")
                                                .withConverter("dev.conveyor.store.db.TaskKindConverter")
                                                .withIncludeExpression("(?i:.*tasks\\.kind)")))
                        .withGenerate(new Generate()
                                .withGeneratedAnnotation(false)
                                .withComments(true)
                                .withJavaTimeTypes(true)
                                .withRecords(true)
                                .withPojos(false)
                                .withDaos(false)
                                .withKeys(true)
                                .withIndexes(true)
                                .withSequences(true)
                                .withFluentSetters(true)
                                .withJavadoc(true))
                        .withTarget(new Target()
                                .withPackageName(PACKAGE)
                                .withDirectory(targetDirectory.toAbsolutePath().toString())
                                .withClean(true)));
        try (Connection connection = dataSource.getConnection()) {
            GenerationTool tool = new GenerationTool();
            tool.setConnection(connection);
            tool.run(configuration);
        }
    }
}
