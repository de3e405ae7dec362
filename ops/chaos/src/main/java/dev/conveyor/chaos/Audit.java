package dev.conveyor.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The counts of a run, from the status tables ({@code tasks}, {@code task_transitions},
 * {@code outbox}), the extension's execution logs, the callback receiver and the clients' records;
 * never from the product's metrics. See docs/chaos.md for what each count means.
 */
final class Audit {

    static final Set<String> TERMINAL = Set.of("done", "failed", "skipped", "cancelled", "dead");
    private static final String TERMINAL_SQL = "('done','failed','skipped','cancelled','dead')";
    /** An execution counts as in flight at a kill when its worker was killed within this time after it started. */
    static final long IN_FLIGHT_MILLIS = 30_000;
    /** Completions are watched this long after each fault to measure how long they stopped. */
    static final long RESUME_WINDOW_MILLIS = 90_000;

    record Execution(String phase, UUID task, int attempt, long pid, long atMillis, String mode, String ref) {}

    private record Row(String status, int attempt) {}

    private final String jdbcUrl;

    Audit(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, "postgres", "");
    }

    /** What still keeps the run from being quiet: non-terminal tasks, accepted tasks not terminal, pending callbacks. */
    String notQuiet(Collection<ClientRecords.Accepted> accepted) throws SQLException {
        try (Connection c = connect()) {
            long open = single(c, "select count(*) from tasks where status not in " + TERMINAL_SQL);
            long pending = single(c, "select count(*) from outbox where state = 'pending'");
            Map<UUID, Row> rows = tasks(c);
            long missing = accepted.stream().filter(a -> {
                Row r = rows.get(a.id());
                return r == null || !TERMINAL.contains(r.status());
            }).count();
            return open == 0 && pending == 0 && missing == 0 ? null
                    : open + " tasks not terminal, " + missing + " accepted tasks not terminal, " + pending
                            + " outbox rows pending";
        }
    }

    Map<String, Object> count(ClientRecords clients, List<CallbackReceiver.Delivery> deliveries, Path execDir,
            List<Faults.Event> faults, long loadStart, long loadEnd, Path anomaliesFile) throws Exception {
        // loadEnd: when the clients stopped sending new events (resume windows end there).
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> anomalies = new ArrayList<>();
        try (Connection c = connect()) {
            Map<UUID, Row> rows = tasks(c);
            Map<UUID, List<String>> terminalTransitions = new HashMap<>();
            List<Long> completionTimes = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "select task_id, to_status, (extract(epoch from at) * 1000)::bigint from task_transitions"
                            + " where to_status in " + TERMINAL_SQL)) {
                while (r.next()) {
                    terminalTransitions.computeIfAbsent((UUID) r.getObject(1), k -> new ArrayList<>()).add(r.getString(2));
                    completionTimes.add(r.getLong(3));
                }
            }
            completionTimes.sort(null);

            // Accepted tasks against their final rows. The same task accepted twice (an idempotent replay) counts once.
            Map<UUID, ClientRecords.Accepted> accepted = new LinkedHashMap<>();
            for (ClientRecords.Accepted a : clients.accepted()) {
                accepted.putIfAbsent(a.id(), a);
            }
            Map<String, Long> byChannel = accepted.values().stream()
                    .collect(Collectors.groupingBy(ClientRecords.Accepted::channel, TreeMap::new, Collectors.counting()));
            long lost = 0;
            long wrong = 0;
            for (ClientRecords.Accepted a : accepted.values()) {
                Row row = rows.get(a.id());
                if (row == null || !TERMINAL.contains(row.status())) {
                    lost++;
                    anomalies.add("lost " + a.id() + " ref=" + a.ref() + " channel=" + a.channel() + " mode=" + a.mode()
                            + " expected=" + a.expected() + " row=" + (row == null ? "missing" : row.status() + "/attempt "
                            + row.attempt()) + " accepted_at=" + Faults.iso(a.atMillis()) + history(c, a.id()));
                } else if (!row.status().equals(a.expected())) {
                    wrong++;
                    anomalies.add("wrong_outcome " + a.id() + " ref=" + a.ref() + " mode=" + a.mode() + " expected="
                            + a.expected() + " got=" + row.status() + history(c, a.id()));
                }
            }
            long doubleTerminal = 0;
            for (var e : terminalTransitions.entrySet()) {
                if (e.getValue().size() > 1) {
                    doubleTerminal++;
                    anomalies.add("double_terminal " + e.getKey() + " " + e.getValue() + history(c, e.getKey()));
                }
            }
            out.put("accepted", accepted.size());
            out.put("accepted_by_channel", byChannel);
            out.put("tasks_in_table", rows.size());
            out.put("lost", lost);
            out.put("double_terminal", doubleTerminal);
            out.put("wrong_outcome", wrong);

            // Executions, from the extension's logs.
            List<Execution> execs = executions(execDir);
            List<Execution> starts = execs.stream().filter(e -> e.phase().equals("start")).toList();
            Map<String, List<Execution>> byAttempt = starts.stream().collect(Collectors.groupingBy(
                    e -> e.task() + "#" + e.attempt(), LinkedHashMap::new, Collectors.toList()));
            Map<Long, Faults.Event> endedBySuite = new HashMap<>();
            for (Faults.Event f : faults) {
                if (f.kind().startsWith("kill9_") || f.kind().startsWith("sigterm_")) {
                    endedBySuite.put(f.pid(), f);
                }
            }
            Map<String, Long> endedRuns = new HashMap<>();
            execs.stream().filter(e -> e.phase().equals("end"))
                    .forEach(e -> endedRuns.put(e.task() + "#" + e.attempt() + "@" + e.pid(), e.atMillis()));
            long dup = 0;
            long dupAtKill = 0;
            Map<String, Long> dupByCause = new TreeMap<>();
            Set<UUID> tasksRunTwice = new HashSet<>();
            for (var e : byAttempt.entrySet()) {
                List<Execution> runs = new ArrayList<>(e.getValue());
                runs.sort((x, y) -> Long.compare(x.atMillis(), y.atMillis()));
                for (int i = 1; i < runs.size(); i++) {
                    dup++;
                    tasksRunTwice.add(runs.get(i).task());
                    Execution earlier = runs.get(i - 1);
                    String cause = cause(earlier, runs.get(i), endedBySuite, faults, endedRuns);
                    if (cause.equals("kill9_worker")) {
                        dupAtKill++;
                    }
                    dupByCause.merge(cause, 1L, Long::sum);
                    if (!cause.equals("kill9_worker")) {
                        anomalies.add("dup_exec (" + cause + ") " + e.getKey() + " runs=" + describe(runs));
                    }
                }
            }
            out.put("executions", starts.size());
            out.put("executions_by_mode", starts.stream().collect(Collectors.groupingBy(Execution::mode, TreeMap::new,
                    Collectors.counting())));
            out.put("dup_exec", dup);
            out.put("dup_exec_at_kill", dupAtKill);
            out.put("dup_exec_by_cause", dupByCause);

            // The same client request run as two different tasks (an enqueue the idempotency key did not stop).
            Map<String, Set<UUID>> tasksByRef = new HashMap<>();
            for (Execution e : starts) {
                tasksByRef.computeIfAbsent(e.ref(), k -> new HashSet<>()).add(e.task());
            }
            long dupEnqueue = 0;
            for (var e : tasksByRef.entrySet()) {
                if (e.getValue().size() > 1 && !e.getKey().startsWith("i")) {
                    dupEnqueue++;
                    anomalies.add("dup_enqueue ref=" + e.getKey() + " tasks=" + e.getValue());
                }
            }
            out.put("dup_enqueue", dupEnqueue);

            // Ambiguous answers and whether their requests ran twice.
            List<ClientRecords.Ambiguous> ambiguous = clients.ambiguous();
            Map<String, Long> ambiguousByWhat = ambiguous.stream().collect(Collectors.groupingBy(
                    a -> a.channel() + "_" + a.what(), TreeMap::new, Collectors.counting()));
            Set<String> ambiguousRefs = ambiguous.stream().map(ClientRecords.Ambiguous::ref).collect(Collectors.toSet());
            Set<String> resolvedRefs = accepted.values().stream().map(ClientRecords.Accepted::ref).collect(Collectors.toSet());
            long ranTwice = 0;
            for (String ref : ambiguousRefs) {
                Set<UUID> ids = tasksByRef.getOrDefault(ref, Set.of());
                boolean twice = ids.size() > 1 || ids.stream().anyMatch(tasksRunTwice::contains);
                if (twice) {
                    ranTwice++;
                    anomalies.add("ambiguous_ran_twice ref=" + ref + " tasks=" + ids);
                }
            }
            out.put("ambiguous", ambiguous.size());
            out.put("ambiguous_by_kind", ambiguousByWhat);
            out.put("ambiguous_requests", ambiguousRefs.size());
            out.put("ambiguous_unresolved", ambiguousRefs.stream().filter(r -> !resolvedRefs.contains(r)).count());
            out.put("ambiguous_ran_twice", ranTwice);
            out.put("client_other", clients.other());

            // Callbacks: due = accepted with a callback URL and terminal; delivered = the receiver saw its webhook-id.
            Map<String, Long> perWebhookId = deliveries.stream().collect(Collectors.groupingBy(
                    CallbackReceiver.Delivery::webhookId, Collectors.counting()));
            Map<String, Set<String>> webhookIdsPerTask = new HashMap<>();
            for (CallbackReceiver.Delivery d : deliveries) {
                webhookIdsPerTask.computeIfAbsent(d.taskId(), k -> new HashSet<>()).add(d.webhookId());
            }
            long due = 0;
            long delivered = 0;
            for (ClientRecords.Accepted a : accepted.values()) {
                Row row = rows.get(a.id());
                if (!a.callback() || row == null || !TERMINAL.contains(row.status())) {
                    continue;
                }
                due++;
                if (perWebhookId.containsKey(a.id() + "." + row.status())) {
                    delivered++;
                } else {
                    anomalies.add("callback_missing " + a.id() + " status=" + row.status() + outbox(c, a.id()));
                }
            }
            long redeliveries = perWebhookId.values().stream().mapToLong(n -> n - 1).sum();
            long conflicting = webhookIdsPerTask.values().stream().filter(s -> s.size() > 1).count();
            out.put("callbacks_due", due);
            out.put("callbacks_delivered", delivered);
            out.put("callbacks_missing", due - delivered);
            out.put("callback_redeliveries", redeliveries);
            out.put("callback_tasks_with_two_statuses", conflicting);
            out.put("outbox_failed", single(c, "select count(*) from outbox where state = 'failed'"));

            // Faults and how long completions stopped after each (docs/chaos.md, "Resume times").
            Map<String, Long> faultCounts = new TreeMap<>();
            Map<String, Double> resume = new TreeMap<>();
            long overlapped = 0;
            List<String> faultLines = new ArrayList<>();
            for (Faults.Event f : faults) {
                faultCounts.merge(f.kind(), 1L, Long::sum);
                Faults.Event during = infraUnderway(faults, f);
                String measured;
                if (during != null) {
                    overlapped++;
                    measured = "resume_s=not measured (during " + during.kind() + ")";
                } else {
                    long windowEnd = Math.min(Math.min(f.atMillis() + RESUME_WINDOW_MILLIS, loadEnd), nextInfra(faults, f));
                    double gap = longestGap(completionTimes, f.atMillis(), windowEnd) / 1000.0;
                    resume.merge(f.kind(), gap, Math::max);
                    measured = "resume_s=" + gap + " (window " + (windowEnd - f.atMillis()) / 1000 + " s)";
                }
                faultLines.add(Faults.iso(f.atMillis()) + " " + f.kind() + " " + f.target() + " pid " + f.pid()
                        + " (+" + (f.atMillis() - loadStart) / 1000 + " s) " + measured + "; " + f.detail()
                        + (f.endMillis() > 0 ? "; over at " + Faults.iso(f.endMillis()) : ""));
            }
            out.put("faults", faultCounts);
            out.put("faults_total", faults.size());
            out.put("faults_not_recovered", faults.stream().filter(f -> f.endMillis() < 0).count());
            out.put("role_kills", faults.stream().filter(f -> f.kind().startsWith("kill9_") && !f.kind().equals("kill9_broker"))
                    .count());
            out.put("resume_s", resume);
            out.put("resume_not_measured", overlapped);
            out.put("baseline_gap_s", longestGap(completionTimes, loadStart + 5_000,
                    faults.isEmpty() ? loadEnd : Math.min(loadEnd, faults.get(0).atMillis())) / 1000.0);
            Files.write(anomaliesFile.resolveSibling("faults.txt"), faultLines, StandardCharsets.UTF_8);
        }
        Files.write(anomaliesFile, anomalies, StandardCharsets.UTF_8);
        return out;
    }

    /**
     * Why an attempt ran again: {@code kill9_worker} / {@code sigterm_worker} when the worker that ran the
     * earlier execution was killed or stopped within {@value #IN_FLIGHT_MILLIS} ms after it started; else
     * the kind of an infrastructure fault under way around it (a cut worker keeps running what it polled
     * while its partitions move on); else {@code ran_concurrently} when both executions ran at once in two
     * live workers (the partition moved while the first still ran it); else {@code unexplained}.
     */
    private static String cause(Execution earlier, Execution later, Map<Long, Faults.Event> endedBySuite,
            List<Faults.Event> faults, Map<String, Long> endedRuns) {
        Faults.Event ended = endedBySuite.get(earlier.pid());
        if (ended != null && ended.atMillis() >= earlier.atMillis()
                && ended.atMillis() - earlier.atMillis() <= IN_FLIGHT_MILLIS) {
            return ended.kind();
        }
        for (Faults.Event f : faults) {
            long end = f.endMillis() < 0 ? f.atMillis() + 60_000 : f.endMillis();
            if (!f.kind().endsWith("_ingress") && !f.kind().endsWith("_scheduler")
                    && earlier.atMillis() >= f.atMillis() - IN_FLIGHT_MILLIS && earlier.atMillis() <= end + 5_000) {
                return f.kind();
            }
        }
        Long earlierEnd = endedRuns.get(earlier.task() + "#" + earlier.attempt() + "@" + earlier.pid());
        if (earlier.pid() != later.pid() && earlierEnd != null && earlierEnd >= later.atMillis()) {
            // Two live workers ran the same attempt at once: its partition moved while it was executing.
            return "ran_concurrently";
        }
        return "unexplained";
    }

    private static boolean infra(Faults.Event f) {
        return Faults.INFRA.contains(f.kind());
    }

    /**
     * The infrastructure fault (broker, PostgreSQL, cut) still under way when {@code f} started: begun
     * earlier and not over (or over less than 10 s before); its outage would be charged to {@code f}.
     */
    private static Faults.Event infraUnderway(List<Faults.Event> faults, Faults.Event f) {
        for (Faults.Event o : faults) {
            if (o != f && infra(o) && o.atMillis() <= f.atMillis()
                    && (o.endMillis() < 0 || o.endMillis() + 10_000 > f.atMillis())) {
                return o;
            }
        }
        return null;
    }

    /** Start of the next infrastructure fault after {@code f}, or forever. */
    private static long nextInfra(List<Faults.Event> faults, Faults.Event f) {
        return faults.stream().filter(o -> o != f && infra(o) && o.atMillis() > f.atMillis())
                .mapToLong(Faults.Event::atMillis).min().orElse(Long.MAX_VALUE);
    }

    /** The longest time without a terminal transition in [from, to], counting from {@code from}. */
    static long longestGap(List<Long> sortedTimes, long from, long to) {
        if (to <= from) {
            return 0;
        }
        long previous = from;
        long longest = 0;
        int i = lowerBound(sortedTimes, from);
        for (; i < sortedTimes.size() && sortedTimes.get(i) <= to; i++) {
            longest = Math.max(longest, sortedTimes.get(i) - previous);
            previous = sortedTimes.get(i);
        }
        return Math.max(longest, to - previous);
    }

    private static int lowerBound(List<Long> sorted, long value) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid) < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static List<Execution> executions(Path dir) throws IOException {
        List<Execution> all = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return all;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("exec-")).toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String[] x = line.split("\t");
                    if (x.length == 7) { // a torn last line of a killed process is not an execution
                        all.add(new Execution(x[0], UUID.fromString(x[1]), Integer.parseInt(x[2]), Long.parseLong(x[3]),
                                Long.parseLong(x[4]), x[5], x[6]));
                    }
                }
            }
        }
        return all;
    }

    private static String describe(List<Execution> runs) {
        return runs.stream().map(e -> "pid " + e.pid() + " at " + Faults.iso(e.atMillis())).collect(Collectors.joining(", "));
    }

    private static Map<UUID, Row> tasks(Connection c) throws SQLException {
        Map<UUID, Row> rows = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select id, status, attempt from tasks")) {
            while (r.next()) {
                rows.put((UUID) r.getObject(1), new Row(r.getString(2), r.getInt(3)));
            }
        }
        return rows;
    }

    private static String history(Connection c, UUID id) throws SQLException {
        StringBuilder b = new StringBuilder("\n    transitions:");
        try (var s = c.prepareStatement("select seq, from_status, to_status, at, attempt, node, reason from task_transitions"
                + " where task_id = ? order by seq")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    b.append("\n      ").append(r.getLong(1)).append(' ').append(r.getString(2)).append(" -> ")
                            .append(r.getString(3)).append(' ').append(r.getTimestamp(4).toInstant()).append(" attempt ")
                            .append(r.getInt(5)).append(' ').append(r.getString(6)).append(' ')
                            .append(r.getString(7) == null ? "" : r.getString(7));
                }
            }
        }
        return b.toString();
    }

    private static String outbox(Connection c, UUID id) throws SQLException {
        StringBuilder b = new StringBuilder(" outbox:");
        try (var s = c.prepareStatement("select kind, status, state, attempts, last_status, last_error from outbox where task_id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    b.append(" [").append(r.getString(1)).append(' ').append(r.getString(2)).append(' ').append(r.getString(3))
                            .append(" attempts=").append(r.getInt(4)).append(" last=").append(r.getObject(5)).append(' ')
                            .append(r.getString(6)).append(']');
                }
            }
        }
        return b.toString();
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
