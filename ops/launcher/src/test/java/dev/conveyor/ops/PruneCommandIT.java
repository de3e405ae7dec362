package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code conveyor prune [--dry-run]} on a real PostgreSQL, as an operator runs it. */
@ConveyorIntegrationTest
class PruneCommandIT {

    private static UUID task(TestDatabase db, String topic, String status, Duration ago) {
        UUID id = UUID.randomUUID();
        OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).minus(ago);
        db.dsl().execute("insert into tasks (id, topic, type, status, created_at, updated_at, finished_at) "
                + "values (?::uuid, ?, 't', ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)", id, topic, status, at, at, at);
        return id;
    }

    private static String run(Path config, String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 3];
            all[0] = "prune";
            System.arraycopy(args, 0, all, 1, args.length);
            all[args.length + 1] = "--config";
            all[args.length + 2] = config.toString();
            assertThat(new CommandLine(new Main()).execute(all)).isZero();
        } finally {
            System.setOut(original);
        }
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aDryRunShowsWhatThePassDeletesAndThePassDeletesIt(TestDatabase db, @TempDir Path dir) throws Exception {
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, """
                db: { url: "%s", user: "%s", password: "%s", schema: "%s" }
                retention: { topics: { clicks: { done: 1h } } }
                """.formatted(db.jdbcUrl(), db.user(), db.password() == null ? "" : db.password(), db.schema()));
        UUID oldClick = task(db, "clicks", "done", Duration.ofHours(2));
        UUID oldOrder = task(db, "orders", "done", Duration.ofDays(8));
        UUID youngOrder = task(db, "orders", "done", Duration.ofHours(2));

        String dry = run(config, "--dry-run");
        assertThat(dry).contains("conveyor prune: would delete 2 finished task(s), 0 outbox row(s) and 0 idempotency key(s)");
        assertThat(dry).containsPattern("clicks\\s+done\\s+1\\s+1h").containsPattern("orders\\s+done\\s+1\\s+7d");
        assertThat(dry).containsPattern("history partitions: would create task_transitions_p\\d{12}, .* \\(1d each\\)");
        assertThat(db.dsl().fetchCount(db.dsl().selectOne().from("tasks"))).isEqualTo(3);

        assertThat(run(config)).contains("conveyor prune: deleted 2 finished task(s)");
        assertThat(db.dsl().fetch("select id from tasks").getValues(0, UUID.class)).containsExactly(youngOrder)
                .doesNotContain(oldClick, oldOrder);
    }
}
