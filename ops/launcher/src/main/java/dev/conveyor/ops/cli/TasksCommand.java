package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code conveyor tasks list|show|retry|cancel}: the status API's task endpoints. */
@Command(name = "tasks", mixinStandardHelpOptions = true,
        description = "List and inspect tasks, retry or cancel one, through the ingress's status API.",
        subcommands = {TasksCommand.ListTasks.class, TasksCommand.ShowTask.class, TasksCommand.RetryTask.class,
                TasksCommand.CancelTask.class},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                ExitCodes.HELP_5, ExitCodes.HELP_6})
public final class TasksCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: list, show, retry or cancel");
    }

    /** Stop following cursors with {@code --all} once this many tasks were fetched. */
    static final int ALL_CAP = 10_000;

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Tasks, newest first, one page at a time (the last line tells how to get the next).",
                    "Example: conveyor tasks list --status failed,dead --topic orders --since 2h"},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                    ExitCodes.HELP_5, ExitCodes.HELP_6})
    static final class ListTasks extends ApiCommand {

        @Option(names = "--status", paramLabel = "S", split = ",",
                description = "Only these statuses (comma-separated or repeated): queued, running, done, failed, skipped, rescheduled, cancelled, dead.")
        List<String> statuses;

        @Option(names = "--topic", paramLabel = "T", description = "Only this topic (exact).")
        String topic;

        @Option(names = "--kind", paramLabel = "K", description = "Only this kind: background, interactive, scheduled, webhook.")
        String kind;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Created at or after TIME: RFC 3339 (2026-11-22T19:00:00Z) or an age (30s, 15m, 2h, 7d, 1w).")
        String since;

        @Option(names = "--until", paramLabel = "TIME", description = "Created before TIME (same forms as --since).")
        String until;

        @Option(names = "--q", paramLabel = "Q",
                description = "A task id prefix (at least 4 hex digits) or an exact idempotency key.")
        String q;

        @Option(names = "--limit", paramLabel = "N", description = "Tasks per page, 1..500 (default: the API's, 50).")
        Integer limit;

        @Option(names = "--cursor", paramLabel = "C", description = "Start at this page (printed by the previous one).")
        String cursor;

        @Option(names = "--all", description = "Follow the pages to the end (stops after " + ALL_CAP + " tasks, "
                + "printing the cursor to continue from).")
        boolean all;

        @Override
        void run(StatusApiClient api, PrintWriter out) {
            TaskQuery query = query();
            if (!all) {
                JsonNode page = api.get(query.path());
                if (json) {
                    out.println(pretty(page));
                    return;
                }
                JsonNode tasks = page.path("tasks");
                if (tasks.isEmpty()) {
                    out.println(query.cursor() == null ? "No tasks match." : "No more tasks.");
                    return;
                }
                out.print(TaskViews.list(tasks));
                String next = TaskViews.text(page, "nextCursor");
                out.println(next == null ? count(tasks.size()) + ", last page."
                        : count(tasks.size()) + "; next page: " + nextPageCommand(query, next));
                return;
            }
            TaskQuery pages = query.withLimit(limit == null ? TaskQuery.MAX_LIMIT : limit);
            List<JsonNode> tasks = new ArrayList<>();
            String next = query.cursor();
            do {
                JsonNode page = api.get(pages.withCursor(next).path());
                page.path("tasks").forEach(tasks::add);
                String following = TaskViews.text(page, "nextCursor");
                if (following != null && following.equals(next)) {
                    throw new ApiException(ExitCodes.INTERNAL, 200, "bad answer", "the API returned the same cursor "
                            + "twice; stopped after " + tasks.size() + " tasks");
                }
                next = following;
            } while (next != null && tasks.size() < ALL_CAP);
            if (json) {
                ObjectNode all = Json.emptyObject();
                ArrayNode array = all.putArray("tasks");
                tasks.forEach(array::add);
                all.put("nextCursor", next);
                out.println(pretty(all));
                return;
            }
            if (tasks.isEmpty()) {
                out.println("No tasks match.");
                return;
            }
            out.print(TaskViews.list(tasks));
            out.println(next == null ? count(tasks.size()) + "."
                    : count(tasks.size()) + "; stopped at the cap of " + ALL_CAP + ". Continue with: "
                            + nextPageCommand(query, next) + " --all");
        }

        private TaskQuery query() {
            try {
                return new TaskQuery(statuses, topic, kind, TaskQuery.instant(since, "--since", clock),
                        TaskQuery.instant(until, "--until", clock), q, limit, cursor);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }

        private static String count(int n) {
            return n == 1 ? "1 task" : n + " tasks";
        }
    }

    /**
     * The command line that fetches the page after this one: the same filters (with a relative
     * {@code --since} already resolved, so the page boundaries do not move) and the cursor.
     */
    static String nextPageCommand(TaskQuery query, String cursor) {
        List<String> args = new ArrayList<>(List.of("conveyor", "tasks", "list"));
        if (!query.statuses().isEmpty()) {
            args.add("--status");
            args.add(shellQuote(String.join(",", query.statuses())));
        }
        option(args, "--topic", query.topic());
        option(args, "--kind", query.kind());
        option(args, "--since", query.since());
        option(args, "--until", query.until());
        option(args, "--q", query.q());
        option(args, "--limit", query.limit() == null ? null : query.limit().toString());
        option(args, "--cursor", cursor);
        return String.join(" ", args);
    }

    private static void option(List<String> args, String name, String value) {
        if (value != null) {
            args.add(name);
            args.add(shellQuote(value));
        }
    }

    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    /** {@code value} as one POSIX shell word: as is when safe, else in single quotes. */
    static String shellQuote(String value) {
        if (SHELL_SAFE.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"One task: its fields, a payload preview and its status transitions.",
                    "Example: conveyor tasks show 0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10"},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                    ExitCodes.HELP_5, ExitCodes.HELP_6})
    static final class ShowTask extends ApiCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The task id, or a unique prefix of it (8 hex digits or more).")
        String id;

        @Override
        void run(StatusApiClient api, PrintWriter out) {
            JsonNode task = api.get("/v1/tasks/" + TaskQuery.encode(resolve(api, id)));
            out.print(json ? pretty(task) + "\n" : TaskViews.show(task));
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = {"Enqueue a failed, dead, skipped or cancelled task again as its next attempt.",
                    "Prints: retried <id>: queued, attempt <n>. Exit code 4 when the task's status does not allow it."},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                    ExitCodes.HELP_5, ExitCodes.HELP_6})
    static final class RetryTask extends ApiCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The task id, or a unique prefix of it (8 hex digits or more).")
        String id;

        @Override
        void run(StatusApiClient api, PrintWriter out) {
            JsonNode answer = api.post("/v1/tasks/" + TaskQuery.encode(resolve(api, id)) + "/retry");
            if (json) {
                out.println(pretty(answer));
                return;
            }
            out.println("retried " + orElse(TaskViews.text(answer, "id"), id) + ": "
                    + orElse(TaskViews.text(answer, "status"), "queued")
                    + (answer.hasNonNull("attempt") ? ", attempt " + answer.get("attempt").asText() : ""));
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = {"Cancel a queued or rescheduled task (a pending scheduled delivery is removed).",
                    "Prints: cancelled <id>. Exit code 4 when the task's status does not allow it."},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, ExitCodes.HELP_1, ExitCodes.HELP_2, ExitCodes.HELP_3, ExitCodes.HELP_4,
                    ExitCodes.HELP_5, ExitCodes.HELP_6})
    static final class CancelTask extends ApiCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The task id, or a unique prefix of it (8 hex digits or more).")
        String id;

        @Override
        void run(StatusApiClient api, PrintWriter out) {
            JsonNode answer = api.post("/v1/tasks/" + TaskQuery.encode(resolve(api, id)) + "/cancel");
            if (json) {
                out.println(pretty(answer));
                return;
            }
            out.println("cancelled " + orElse(TaskViews.text(answer, "id"), id));
        }
    }

    private static final java.util.regex.Pattern UUID_TEXT =
            java.util.regex.Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /**
     * The whole id for {@code id}: itself when it is a UUID; the one task whose id starts with it
     * when it is a prefix (as the dashboard and {@code tasks list} show ids), found with
     * {@code GET /v1/tasks?q=}. A prefix that matches none or several is a clear error.
     */
    static String resolve(StatusApiClient api, String id) {
        if (UUID_TEXT.matcher(id).matches()) {
            return id;
        }
        String hex = id.replace("-", "");
        if (!hex.matches("[0-9a-fA-F]{8,31}")) {
            throw new ApiException(ExitCodes.USAGE, 400, "invalid task id", "'" + id + "' is neither a task id (a UUID) "
                    + "nor a prefix of one (8 or more hex digits)");
        }
        JsonNode page = api.get("/v1/tasks?limit=3&q=" + TaskQuery.encode(id));
        java.util.List<String> ids = new java.util.ArrayList<>();
        page.path("tasks").forEach(t -> {
            if (t.path("id").asText().replace("-", "").toLowerCase(java.util.Locale.ROOT)
                    .startsWith(hex.toLowerCase(java.util.Locale.ROOT))) {
                ids.add(t.path("id").asText());
            }
        });
        if (ids.isEmpty()) {
            throw new ApiException(ExitCodes.NOT_FOUND, 404, "unknown task", "no task id starts with " + id);
        }
        if (ids.size() > 1) {
            throw new ApiException(ExitCodes.USAGE, 400, "ambiguous task id", id + " is the start of several task ids ("
                    + String.join(", ", ids) + (ids.size() == 3 ? ", ..." : "") + "); give more of it");
        }
        return ids.get(0);
    }

    private static String orElse(String value, String fallback) {
        return value == null ? fallback : value;
    }
}
