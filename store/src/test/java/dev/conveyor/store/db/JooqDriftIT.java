package dev.conveyor.store.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the committed jOOQ classes ({@code store/src/generated/java}) identical to what the
 * migrations produce.
 *
 * <p>Why committed rather than generated in every build: the build then needs no database at
 * compile time (IDEs and {@code mvn compile} work offline and fast), and a reviewer sees the
 * effect of a migration on the Java API in the same diff. The price is that someone could edit
 * a migration and forget to regenerate; this test catches exactly that, against a real
 * PostgreSQL migrated by Flyway, and fails naming the files that differ.
 *
 * <p>To regenerate after changing {@code migrations/}: {@code ops/dev/regenerate-jooq}
 * (runs this test with {@code CONVEYOR_REGENERATE_JOOQ=1}, which writes instead of comparing).
 */
@ConveyorIntegrationTest
class JooqDriftIT {

    @Test
    void committedJooqClassesMatchTheMigrations(TestDatabase db, @TempDir Path generated) throws Exception {
        if ("1".equals(System.getenv("CONVEYOR_REGENERATE_JOOQ"))) {
            JooqCodegen.generate(db.dataSource(), db.schema(), JooqCodegen.COMMITTED_SOURCES);
            System.out.println("Regenerated jOOQ classes in " + JooqCodegen.COMMITTED_SOURCES.toAbsolutePath());
        }

        JooqCodegen.generate(db.dataSource(), db.schema(), generated);

        Map<String, String> expected = read(generated);
        Map<String, String> committed = read(JooqCodegen.COMMITTED_SOURCES);
        assertThat(expected).as("generated files").isNotEmpty();
        assertThat(expected.keySet()).as("generated classes include the five tables")
                .anyMatch(f -> f.endsWith("tables/Tasks.java"))
                .anyMatch(f -> f.endsWith("tables/TaskTransitions.java"))
                .anyMatch(f -> f.endsWith("tables/ScheduledDeliveries.java"))
                .anyMatch(f -> f.endsWith("tables/Schedules.java"))
                .anyMatch(f -> f.endsWith("tables/ExtensionConfigs.java"));

        List<String> problems = new ArrayList<>();
        for (String file : expected.keySet()) {
            if (!committed.containsKey(file)) {
                problems.add("missing: " + file);
            } else if (!committed.get(file).equals(expected.get(file))) {
                problems.add("differs: " + file);
            }
        }
        for (String file : committed.keySet()) {
            if (!expected.containsKey(file)) {
                problems.add("stale (no longer generated): " + file);
            }
        }
        if (!problems.isEmpty()) {
            fail("The committed jOOQ classes do not match migrations/. Run ops/dev/regenerate-jooq and commit "
                    + "the result.\n  " + String.join("\n  ", problems));
        }
    }

    private static Map<String, String> read(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            return files;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".java")).toList()) {
                files.put(root.relativize(p).toString().replace('\\', '/'), Files.readString(p));
            }
        }
        return files;
    }
}
