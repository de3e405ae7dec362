package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.ops.Main;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.http.IngressServer;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CLI in-process against a real ingress (real Kafka, real PostgreSQL) with auth on: task
 * rows are written with the status store, then {@code conveyor tasks ...} and
 * {@code conveyor stats} are run and their output and exit codes checked against
 * {@code docs/status-api.md}.
 */
@ConveyorIntegrationTest
class TasksCliIT {

    private static final String TOKEN = "cli-it-token";

    private static Database database;
    private static IngressServer ingress;
    private static JooqStatusStore store;
    private static String orders;
    private static String url;

    @BeforeAll
    static void start(TestKafka kafka, TestDatabase db) {
        orders = kafka.createTopic("orders", 1);
        String prefix = TestKafka.uniqueName("cli") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "cli-it");
        ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap())
                        .port(0)
                        .topicPrefix(prefix)
                        .topics(Set.of(orders))
                        .tokens(Set.of(TOKEN))
                        .build(),
                new IngressServer.Collaborators(database, Clock.systemUTC()));
        url = ingress.baseUri().toString();
        store = new JooqStatusStore(db.dsl(), "cli-it-node");
        ApiCommand.environment = Map.of();
    }

    @AfterAll
    static void stop() {
        ApiCommand.environment = System.getenv();
        if (ingress != null) {
            ingress.close();
        }
        if (database != null) {
            database.close();
        }
    }

    // ---- rows ----------------------------------------------------------------------------------

    private static Task task(String topic, Instant createdAt, int attempt) {
        return Task.builder().topic(topic).payload("{\"orderId\":\"o-1\"}", "application/json").createdAt(createdAt)
                .attempt(attempt).build();
    }

    /** A task that ran and ended with {@code result} (attempt 5, the last by default, so a fail is final). */
    private static Task finished(String topic, TaskResult result, Instant createdAt) {
        int attempt = 5;
        Task t = task(topic, createdAt, attempt);
        NextStatus next = NextStatus.of(Outcome.of(result), attempt, 0, RetryPolicy.defaults(), 0.5);
        store.apply(List.of(StatusChange.finished(t, "orders-ext", null, false, createdAt.plusMillis(10),
                createdAt.plusMillis(20), next, null, null)));
        return t;
    }

    /** A queued task due in an hour. */
    private static Task queued(String topic) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Task t = task(topic, now, 1);
        store.apply(List.of(StatusChange.scheduled(t, now.plus(Duration.ofHours(1)), now)));
        return t;
    }

    // ---- running the CLI -----------------------------------------------------------------------

    record Run(int exit, String out, String err) {
        JsonNode json() {
            return Json.parse(out.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static Run conveyor(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** {@code conveyor <args> --url <ingress> --token <token>}. */
    private static Run authorized(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--token", TOKEN));
        return conveyor(all.toArray(String[]::new));
    }

    // ---- what works against GET /v1/tasks/{id} -------------------------------------------------

    @Test
    void showPrintsTheTaskItsPayloadAndTransitions() {
        Task t = finished(orders, TaskResult.fail("out of stock"), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        Run r = authorized("tasks", "show", t.id().toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .containsPattern("(?m)^id: +" + t.id() + "$")
                .containsPattern("(?m)^topic: +" + orders + "$")
                .containsPattern("(?m)^status: +failed$")
                .containsPattern("(?m)^attempt: +5$")
                .containsPattern("(?m)^output: +out of stock$")
                .containsPattern("(?m)^payload: +17 bytes, application/json$")
                .contains("\n  {\"orderId\":\"o-1\"}\n")
                .containsPattern("(?m)^SEQ +FROM +TO +AT +ATTEMPT +NODE +REASON$")
                .containsPattern("(?m)^ +\\d+ +- +queued .* +5 +cli-it-node")
                .containsPattern("(?m)^ +\\d+ +queued +running .* +5 +cli-it-node")
                .containsPattern("(?m)^ +\\d+ +running +failed .* +5 +cli-it-node +out of stock$");

        Run json = authorized("tasks", "show", t.id().toString(), "--json");
        assertThat(json.exit()).isZero();
        assertThat(json.json().path("id").asText()).isEqualTo(t.id().toString());
        assertThat(json.json().path("transitions")).hasSize(3);
    }

    @Test
    void anUnknownTaskIsExitCode3() {
        Run r = authorized("tasks", "show", UUID.randomUUID().toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("conveyor: unknown task");
    }

    @Test
    void aUniquePrefixOfAnIdIsEnoughAndAnAmbiguousOneIsSaid() {
        Task t = finished(orders, TaskResult.done(), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        String prefix = t.id().toString().substring(0, 23); // time, version and part of the random bits
        Run r = authorized("tasks", "show", prefix);
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).containsPattern("(?m)^id: +" + t.id() + "$");

        Run none = authorized("tasks", "show", "00000000");
        assertThat(none.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(none.err()).startsWith("conveyor: unknown task").contains("no task id starts with 00000000");

        Task other = finished(orders, TaskResult.done(), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        String common = commonPrefix(t.id().toString(), other.id().toString());
        if (common.replace("-", "").length() >= 8) {
            Run both = authorized("tasks", "show", common);
            assertThat(both.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(both.err()).contains("ambiguous task id", t.id().toString(), other.id().toString());
        }
    }

    private static String commonPrefix(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(0, i);
    }

    @Test
    void anInvalidIdIsAUsageError() {
        Run r = authorized("tasks", "show", "not-a-uuid");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("conveyor: invalid task id");
    }

    @Test
    void withoutAValidTokenItIsExitCode6() {
        Task t = queued(orders);
        Run none = conveyor("tasks", "show", t.id().toString(), "--url", url);
        assertThat(none.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
        assertThat(none.err()).isEqualTo("conveyor: unauthorized: a valid bearer token is required "
                + "(Authorization: Bearer <token>)\n");
        Run wrong = conveyor("stats", "--url", url, "--token", "not-" + TOKEN);
        assertThat(wrong.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
    }

    @Test
    void anUnreachableApiIsExitCode5() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = conveyor("tasks", "list", "--url", "http://127.0.0.1:" + port, "--token", TOKEN);
        assertThat(r.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err()).startsWith("conveyor: unreachable: cannot connect to http://127.0.0.1:" + port);
    }

    // ---- list, retry, cancel, stats: the contract other branches implement ---------------------

    @Test
    void listShowsNewestFirstAndPagesWithTheCursor() {
        String topic = TestKafka.uniqueName("listed");
        Instant t0 = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.MILLIS);
        Task oldest = finished(topic, TaskResult.done(), t0);
        Task middle = finished(topic, TaskResult.fail("boom\nwith a second line"), t0.plusSeconds(1));
        Task newest = finished(topic, TaskResult.done(), t0.plusSeconds(2));

        Run all = authorized("tasks", "list", "--topic", topic);
        assertThat(all.err()).isEmpty();
        assertThat(all.exit()).isZero();
        List<String> lines = all.out().lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).matches("ID +TOPIC +KIND +STATUS +ATTEMPT +CREATED +UPDATED +OUTPUT");
        assertThat(lines.get(1)).startsWith(newest.id() + "  " + topic).contains(" done ");
        assertThat(lines.get(2)).startsWith(middle.id().toString()).contains(" failed ").endsWith("boom with a second line");
        assertThat(lines.get(3)).startsWith(oldest.id().toString());
        assertThat(lines.get(4)).isEqualTo("3 tasks, last page.");

        Run failed = authorized("tasks", "list", "--topic", topic, "--status", "failed,dead");
        assertThat(failed.exit()).isZero();
        assertThat(failed.out().lines().filter(l -> l.startsWith(middle.id().toString()))).hasSize(1);
        assertThat(failed.out()).doesNotContain(newest.id().toString());

        Run first = authorized("tasks", "list", "--topic", topic, "--limit", "2");
        assertThat(first.exit()).isZero();
        String hint = first.out().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(hint).startsWith("2 tasks; next page: conveyor tasks list --topic " + topic + " --limit 2 --cursor ");
        String cursor = hint.substring(hint.indexOf("--cursor ") + 9).replace("'", "");
        Run second = authorized("tasks", "list", "--topic", topic, "--limit", "2", "--cursor", cursor);
        assertThat(second.exit()).isZero();
        assertThat(second.out()).contains(oldest.id().toString()).doesNotContain(newest.id().toString())
                .endsWith("1 task, last page.\n");

        Run everything = authorized("tasks", "list", "--topic", topic, "--limit", "1", "--all", "--json");
        assertThat(everything.exit()).isZero();
        assertThat(everything.json().path("tasks").findValuesAsText("id"))
                .containsExactly(newest.id().toString(), middle.id().toString(), oldest.id().toString());

        Run byPrefix = authorized("tasks", "list", "--q", middle.id().toString().substring(0, 13));
        assertThat(byPrefix.exit()).isZero();
        assertThat(byPrefix.out()).contains(middle.id().toString());

        Run badStatus = authorized("tasks", "list", "--status", "later");
        assertThat(badStatus.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badStatus.err()).startsWith("conveyor: ").contains("later");
    }

    @Test
    void retryEnqueuesAFailedTaskAgainAndRefusesADoneOne() {
        Task failed = finished(orders, TaskResult.fail("out of stock"), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        Run r = authorized("tasks", "retry", failed.id().toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("retried " + failed.id() + ": queued, attempt 6\n");
        assertThat(authorized("tasks", "show", failed.id().toString()).out()).containsPattern("(?m)^status: +queued$")
                .contains("retried by operator");

        Task done = finished(orders, TaskResult.done(), Instant.now().truncatedTo(ChronoUnit.MILLIS));
        Run conflict = authorized("tasks", "retry", done.id().toString());
        assertThat(conflict.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(conflict.out()).isEmpty();
        assertThat(conflict.err()).isEqualTo("conveyor: conflict: task is done; only failed, dead, skipped or "
                + "cancelled tasks can be retried\n");

        assertThat(authorized("tasks", "retry", UUID.randomUUID().toString()).exit()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void cancelStopsAQueuedTaskOnce() {
        Task t = queued(orders);
        Run r = authorized("tasks", "cancel", t.id().toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("cancelled " + t.id() + "\n");

        Run again = authorized("tasks", "cancel", t.id().toString());
        assertThat(again.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(again.err()).isEqualTo("conveyor: conflict: task is cancelled; only queued or rescheduled tasks "
                + "can be cancelled\n");
    }

    /** A task accepted now (its row written as the ingress writes it once Kafka acknowledged the record). */
    private static Task accepted(String topic, String idempotencyKey) {
        Task t = Task.builder().topic(topic).payload("{\"orderId\":\"o-2\"}", "application/json")
                .createdAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).idempotencyKey(idempotencyKey).build();
        assertThat(store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress")))).contains(t.id());
        return t;
    }

    @Test
    void cancelStopsATaskThatWaitsInKafkaAndListFindsItByItsIdempotencyKey() {
        String key = "order-" + UUID.randomUUID();
        Task t = accepted(orders, key);

        Run found = authorized("tasks", "list", "--q", key);
        assertThat(found.err()).isEmpty();
        assertThat(found.exit()).isZero();
        assertThat(found.out().lines().filter(l -> l.startsWith(t.id().toString()))).singleElement()
                .asString().contains(" queued ");
        assertThat(found.out()).endsWith("1 task, last page.\n");

        Run r = authorized("tasks", "cancel", t.id().toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("cancelled " + t.id() + "\n");
        Run shown = authorized("tasks", "show", t.id().toString());
        assertThat(shown.out()).containsPattern("(?m)^status: +cancelled$")
                .containsPattern("(?m)^ +\\d+ +- +queued .*accepted by the ingress\n +\\d+ +queued +cancelled .*cancelled by "
                        + "operator$");
        assertThat(authorized("tasks", "list", "--q", key, "--status", "cancelled").out()).contains(t.id().toString());
    }

    @Test
    void statsShowsEachTopicsQueuedBacklogAndItsOldestTask() {
        String topic = TestKafka.uniqueName("backlog");
        accepted(topic, null);
        accepted(topic, null);

        Run text = authorized("stats");
        assertThat(text.err()).isEmpty();
        assertThat(text.exit()).isZero();
        assertThat(text.out()).containsPattern("(?m)^TOPIC .* QUEUED .* LAG +OLDEST QUEUED$")
                .containsPattern("(?m)^" + topic + " +2 .* (\\d+ms|\\d+\\.\\ds|\\dm \\d\\ds)$");
        Run json = authorized("stats", "--json");
        JsonNode row = null;
        for (JsonNode t : json.json().path("topics")) {
            if (t.path("topic").asText().equals(topic)) {
                row = t;
            }
        }
        assertThat(row).as("a row for " + topic).isNotNull();
        assertThat(row.path("queued").asLong()).isEqualTo(2);
        assertThat(row.path("oldestQueuedAgeSeconds").isNumber()).isTrue();
    }

    @Test
    void statsCountsTasksPerTopic() {
        String topic = TestKafka.uniqueName("counted");
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        finished(topic, TaskResult.done(), now);
        finished(topic, TaskResult.done(), now);
        finished(topic, TaskResult.fail("no"), now);

        Run json = authorized("stats", "--json");
        assertThat(json.err()).isEmpty();
        assertThat(json.exit()).isZero();
        JsonNode row = null;
        for (JsonNode t : json.json().path("topics")) {
            if (t.path("topic").asText().equals(topic)) {
                row = t;
            }
        }
        assertThat(row).as("a row for " + topic).isNotNull();
        assertThat(row.path("counts").path("done").asLong()).isEqualTo(2);
        assertThat(row.path("counts").path("failed").asLong()).isEqualTo(1);

        Run text = authorized("stats");
        assertThat(text.exit()).isZero();
        assertThat(text.out()).startsWith("TOPIC ").containsPattern("(?m)^" + topic + " .*$")
                .containsPattern("(?m)^TOTAL ").contains("\noldest queued ").contains("\nscheduled ")
                .contains("\nconsumer lag ");
    }
}
