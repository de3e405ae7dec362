package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.conveyor.ops.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole CLI in-process against a stub of the status API that answers as
 * {@code docs/status-api.md} says: what is requested, what is printed, what the exit code is.
 * The real ingress is exercised by {@code TasksCliIT}.
 */
class TasksCommandTest {

    private static final String ID = "0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10";

    private HttpServer server;
    private String url;
    /** Path and query → status and body. */
    private final Map<String, Object[]> answers = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String target = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            requests.add(exchange.getRequestMethod() + " " + target);
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            Object[] answer = answers.getOrDefault(exchange.getRequestMethod() + " " + target,
                    new Object[] {404, "{\"error\":\"unknown task\",\"detail\":null}"});
            byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders((int) answer[0], body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
        ApiCommand.environment = Map.of();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        ApiCommand.environment = System.getenv();
    }

    private void answer(String request, int status, String body) {
        answers.put(request, new Object[] {status, body});
    }

    record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static String summary(String id, String status) {
        return """
                {"id": "%s", "topic": "orders", "extension": "orders", "kind": "background", "type": "orders",
                 "status": "%s", "attempt": 1, "reschedules": 0, "output": null, "createdAt": "2026-11-22T19:00:00Z",
                 "updatedAt": "2026-11-22T19:00:01Z", "startedAt": null, "finishedAt": null, "nextRunAt": null}
                """.formatted(id, status);
    }

    @Test
    void listPrintsATableAndHowToGetTheNextPage() {
        answer("GET /v1/tasks?status=failed,dead&topic=orders&limit=2", 200,
                "{\"tasks\": [" + summary(ID, "failed") + "," + summary("b", "dead") + "], \"nextCursor\": \"c1\"}");
        Run r = run("tasks", "list", "--url", url, "--token", "secret", "--status", "failed,dead", "--topic", "orders",
                "--limit", "2");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(authorizations).containsExactly("Bearer secret");
        String[] lines = r.out().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[1]).startsWith(ID + "  orders  background  failed");
        assertThat(lines[3]).isEqualTo("2 tasks; next page: conveyor tasks list --status failed,dead --topic orders "
                + "--limit 2 --cursor c1");
    }

    @Test
    void listAllFollowsTheCursorsWithFullPages() {
        answer("GET /v1/tasks?kind=webhook&limit=500", 200, "{\"tasks\": [" + summary("a", "done") + "], \"nextCursor\": \"x y\"}");
        answer("GET /v1/tasks?kind=webhook&limit=500&cursor=x%20y", 200, "{\"tasks\": [" + summary("b", "done") + "], \"nextCursor\": \"c2\"}");
        answer("GET /v1/tasks?kind=webhook&limit=500&cursor=c2", 200, "{\"tasks\": [" + summary("c", "done") + "], \"nextCursor\": null}");
        Run r = run("tasks", "list", "--url", url, "--kind", "webhook", "--all");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(requests).hasSize(3);
        assertThat(r.out().lines().filter(l -> l.contains("webhook") || l.contains("background"))).hasSize(3);
        assertThat(r.out()).endsWith("3 tasks.\n");

        Run json = run("tasks", "list", "--url", url, "--kind", "webhook", "--all", "--json");
        assertThat(json.out()).contains("\"id\" : \"a\"").contains("\"id\" : \"c\"").contains("\"nextCursor\" : null");
    }

    @Test
    void anEmptyListSaysSo() {
        answer("GET /v1/tasks?q=0193", 200, "{\"tasks\": [], \"nextCursor\": null}");
        Run r = run("tasks", "list", "--url", url, "--q", "0193");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("No tasks match.\n");
    }

    @Test
    void showPrintsTheTaskOrItsJson() {
        answer("GET /v1/tasks/" + ID, 200, """
                {"id": "%s", "topic": "orders", "status": "done", "attempt": 1, "payloadBytes": 2,
                 "contentType": "application/json", "payloadPreview": "{}", "payloadTruncated": false,
                 "transitions": [{"seq": 1, "from": null, "to": "done", "at": "2026-11-22T19:00:00Z",
                   "attempt": 1, "reason": null, "node": "n"}]}
                """.formatted(ID));
        Run r = run("tasks", "show", ID, "--url", url);
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("id:          " + ID + "\n").contains("transitions:\nSEQ");
        Run json = run("tasks", "show", ID, "--url", url, "--json");
        assertThat(json.out()).startsWith("{\n  \"id\" : \"" + ID + "\",");
    }

    @Test
    void retryAndCancelPrintOneLine() {
        answer("POST /v1/tasks/" + ID + "/retry", 202,
                "{\"id\": \"" + ID + "\", \"status\": \"queued\", \"attempt\": 2, \"statusUrl\": \"/v1/tasks/" + ID + "\"}");
        answer("POST /v1/tasks/" + ID + "/cancel", 200, "{\"id\": \"" + ID + "\", \"status\": \"cancelled\"}");
        Run retry = run("tasks", "retry", ID, "--url", url);
        assertThat(retry.exit()).isZero();
        assertThat(retry.out()).isEqualTo("retried " + ID + ": queued, attempt 2\n");
        Run cancel = run("tasks", "cancel", ID, "--url", url);
        assertThat(cancel.exit()).isZero();
        assertThat(cancel.out()).isEqualTo("cancelled " + ID + "\n");
    }

    @Test
    void apiErrorsBecomeExitCodesAndOneLineOnStderr() {
        answer("POST /v1/tasks/" + ID + "/retry", 409, "{\"error\": \"conflict\", \"detail\": \"task is done; only "
                + "failed, dead, skipped or cancelled tasks can be retried\"}");
        Run conflict = run("tasks", "retry", ID, "--url", url);
        assertThat(conflict.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(conflict.out()).isEmpty();
        assertThat(conflict.err()).isEqualTo("conveyor: conflict: task is done; only failed, dead, skipped or "
                + "cancelled tasks can be retried\n");

        Run missing = run("tasks", "show", ID, "--url", url);
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).isEqualTo("conveyor: unknown task\n");

        answer("GET /v1/stats", 401, "{\"error\": \"unauthorized\", \"detail\": \"a valid bearer token is required\"}");
        assertThat(run("stats", "--url", url).exit()).isEqualTo(ExitCodes.UNAUTHORIZED);

        answer("POST /v1/tasks/" + ID + "/cancel", 503, "{\"error\": \"unavailable\", \"detail\": \"Kafka\"}");
        assertThat(run("tasks", "cancel", ID, "--url", url).exit()).isEqualTo(ExitCodes.UNAVAILABLE);

        answer("GET /v1/tasks?status=later", 400, "{\"error\": \"invalid parameter\", \"detail\": \"status: unknown value 'later'\"}");
        Run bad = run("tasks", "list", "--url", url, "--status", "later");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).isEqualTo("conveyor: invalid parameter: status: unknown value 'later'\n");
    }

    @Test
    void anUnreachableApiIsExitCode5() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = run("stats", "--url", "http://127.0.0.1:" + port);
        assertThat(r.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err()).startsWith("conveyor: unreachable: cannot connect to http://127.0.0.1:" + port);
    }

    @Test
    void usageErrorsAndInvalidConfigurationAreExitCode2(@TempDir Path dir) throws IOException {
        Run since = run("tasks", "list", "--url", url, "--since", "yesterday");
        assertThat(since.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(since.err()).contains("--since must be an RFC 3339 time");
        assertThat(requests).isEmpty();

        assertThat(run("tasks", "list", "--url", url, "--limit", "1000").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("tasks", "show").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("tasks").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("stats", "--url", "localhost:8080").exit()).isEqualTo(ExitCodes.USAGE);

        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "http: { port: nope }\n");
        Run invalid = run("stats", "--config", config.toString());
        assertThat(invalid.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(invalid.err()).startsWith("conveyor: invalid configuration: http.port");
    }

    @Test
    void theUrlAndTokenDefaultToTheConfiguration(@TempDir Path dir) throws IOException {
        answer("GET /v1/stats", 200, StatsViewTest.STATS);
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, "http: { port: %d, tokens: [first, second] }\n".formatted(server.getAddress().getPort()));
        Run r = run("stats", "--config", config.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("TOPIC   QUEUED");
        assertThat(authorizations).containsExactly("Bearer first");
    }

    @Test
    void helpDocumentsTheExitCodes() {
        Run r = run("tasks", "retry", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Exit codes:").contains("4   conflict (409)").contains("6   unauthorized");
    }
}
