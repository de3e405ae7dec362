package dev.conveyor.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One run of the fault-injection suite: start Conveyor as separate processes, put load on it,
 * inject the planned faults, stop the load, wait for quiet, count, print one JSON line.
 */
public final class ChaosRun {

    /** What a run does. {@code faults} empty = every kind the plan fits; else only those kinds (or role kinds). */
    public record Options(Duration load, long seed, Path out, Path dir, double eventsPerSecond, Set<String> faults) {
        public Options {
            if (load.toSeconds() < 30) {
                throw new IllegalArgumentException("the load must last at least 30 s, was " + load);
            }
            if (eventsPerSecond <= 0) {
                throw new IllegalArgumentException("--rate must be positive");
            }
        }

        static Path defaultDir(long seed) {
            String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
            return Path.of(System.getProperty("java.io.tmpdir"), "conveyor-chaos", stamp + "-seed" + seed);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The clients' records and the callbacks received, as evidence next to the counts. */
    private static void writeRecords(Path dir, ClientRecords clients, List<CallbackReceiver.Delivery> deliveries)
            throws java.io.IOException {
        Path records = dir.resolve("records");
        Files.createDirectories(records);
        Files.write(records.resolve("accepted.tsv"), clients.accepted().stream().map(a -> String.join("\t", a.ref(),
                a.id().toString(), a.channel(), a.mode(), a.expected(), Boolean.toString(a.callback()),
                Faults.iso(a.atMillis()), String.valueOf(a.idempotencyKey()), Integer.toString(a.ambiguousBefore())))
                .toList());
        Files.write(records.resolve("ambiguous.tsv"), clients.ambiguous().stream().map(a -> String.join("\t", a.ref(),
                a.channel(), a.what(), Faults.iso(a.atMillis()), String.valueOf(a.idempotencyKey()), String.valueOf(a.id())))
                .toList());
        Files.write(records.resolve("unexpected-answers.tsv"), clients.samples());
        Files.write(records.resolve("callbacks.tsv"), deliveries.stream()
                .map(d -> d.webhookId() + "\t" + Faults.iso(d.atMillis())).toList());
    }

    private ChaosRun() {}

    /** Runs the scenario and returns the report (also printed as one JSON line and appended to {@code out}). */
    public static Map<String, Object> run(Options o) throws Exception {
        Path dir = o.dir() != null ? o.dir() : Options.defaultDir(o.seed());
        Files.createDirectories(dir.resolve("logs"));
        // Before the first Kafka client of this JVM initialises logging (ignored when logging is already set up).
        System.setProperty("chaos.run.dir", dir.toString());
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "dev/conveyor/chaos/suite-logback.xml");
        }
        Log log = new Log(dir);
        log.info("run dir " + dir + ", load " + o.load().toSeconds() + " s at " + o.eventsPerSecond() + " events/s, seed "
                + o.seed());
        long started = System.currentTimeMillis();
        ClientRecords clients = new ClientRecords();
        try (Cluster cluster = new Cluster(dir); CallbackReceiver receiver = new CallbackReceiver()) {
            cluster.start(log);
            long upAfter = System.currentTimeMillis() - started;
            Audit audit = new Audit(cluster.jdbcUrl());
            Faults faults = new Faults(cluster, log, o.seed());
            List<Faults.Planned> plan = Faults.plan(o.seed(), o.load(), o.faults());
            log.info("fault plan: " + plan);
            faults.supervise();
            long loadStart;
            long loadEnd;
            long sendingStopped;
            try (Load load = new Load(cluster.ingressUrls(), cluster.bootstrap(), receiver.url(), clients, o.seed(),
                    o.eventsPerSecond())) {
                loadStart = System.currentTimeMillis();
                load.start();
                faults.run(plan, loadStart, loadStart + o.load().toMillis());
                long rest = loadStart + o.load().toMillis() - System.currentTimeMillis();
                if (rest > 0) {
                    Thread.sleep(rest);
                }
                log.info("stopping the load");
                // Resume windows end here: after it no new events come, so a pause in completions is not a fault's.
                sendingStopped = System.currentTimeMillis();
                load.stop(Duration.ofSeconds(100));
                loadEnd = System.currentTimeMillis();
                faults.awaitSettled(Duration.ofSeconds(120));
            }
            List<Faults.Event> events = faults.events();
            long lastFault = events.stream().mapToLong(e -> Math.max(e.atMillis(), e.endMillis())).max().orElse(loadStart);
            long deadline = Math.max(lastFault + 120_000, System.currentTimeMillis() + 30_000);
            String notQuiet;
            while ((notQuiet = audit.notQuiet(clients.accepted())) != null && System.currentTimeMillis() < deadline) {
                Thread.sleep(2000);
            }
            long quietAt = System.currentTimeMillis();
            faults.stopSupervising();
            log.info(notQuiet == null ? "quiet " + (quietAt - loadEnd) + " ms after the load stopped"
                    : "NOT quiet at the deadline: " + notQuiet);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("run", dir.toString());
            report.put("seed", o.seed());
            report.put("started", Faults.iso(started));
            report.put("load_s", o.load().toSeconds());
            report.put("rate", o.eventsPerSecond());
            report.put("startup_s", upAfter / 1000.0);
            report.put("quiet", notQuiet == null);
            report.put("quiet_after_s", (quietAt - loadEnd) / 1000.0);
            if (notQuiet != null) {
                report.put("not_quiet", notQuiet);
            }
            report.putAll(audit.count(clients, receiver.deliveries(), dir.resolve("executions"), events, loadStart,
                    sendingStopped, dir.resolve("anomalies.txt")));
            Map<String, Long> exits = new java.util.TreeMap<>();
            faults.unexpectedExits().forEach(e -> exits.merge(e.target(), 1L, Long::sum));
            report.put("unexpected_exits", exits);
            Files.write(dir.resolve("unexpected-exits.txt"), faults.unexpectedExits().stream()
                    .map(e -> Faults.iso(e.atMillis()) + " " + e.target() + " pid " + e.pid() + " " + e.detail()).toList());
            report.put("wall_s", (System.currentTimeMillis() - started) / 1000.0);
            writeRecords(dir, clients, receiver.deliveries());
            String line = JSON.writeValueAsString(report);
            Files.writeString(dir.resolve("report.json"), line + "\n", StandardCharsets.UTF_8);
            if (o.out() != null) {
                if (o.out().toAbsolutePath().getParent() != null) {
                    Files.createDirectories(o.out().toAbsolutePath().getParent());
                }
                Files.writeString(o.out(), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
            System.out.println(line);
            System.out.flush();
            log.info("run dir (logs of every process, executions/, faults.txt, anomalies.txt): " + dir);
            return report;
        }
    }
}
