package dev.conveyor.producer.bench;

import static dev.conveyor.testing.bench.BenchOutput.*;

import dev.conveyor.testing.bench.BenchOutput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.http.IngressServer;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.db.Database;
import dev.conveyor.schema.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.InteractiveExtension;
import io.helidon.webserver.WebServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * HTTP ingress benchmark: a real KRaft broker, a real PostgreSQL, the real {@link IngressServer}
 * and (for interactive requests) a real {@link Worker}, all in this JVM, no JUnit. Every workload
 * prints one JSON line with what it measured to standard output; everything else (logs, progress)
 * goes to standard error. Run it with {@code ops/bin/bench-ingress}.
 *
 * <ol>
 *   <li>{@code W5-events}: C keep-alive HTTP/1.1 connections post a ~100-byte JSON body to
 *       {@code POST /v1/events/{topic}} back to back for S seconds (each answer is 202 only once
 *       Kafka acknowledged the record); then the same client, connections and body against a bare
 *       Helidon {@code POST /hello} server in this JVM, the ceiling of the HTTP stack on this
 *       machine. {@code ratio} = events/s over hello/s. The client is {@code wrk} when it is on the
 *       PATH (a Lua script makes it POST and count statuses), else {@link HttpClient} with a virtual
 *       thread per connection.</li>
 *   <li>{@code W6-interactive}: a worker with an {@link InteractiveExtension} answering 200 at once;
 *       {@code POST /v1/interactive/{topic}} sent open-loop at R requests/s for S seconds (each
 *       request on its own virtual thread at its scheduled time, never waiting for the previous one);
 *       the latency of every request, split at the moment the extension saw it (the body carries
 *       the request's sequence number).</li>
 * </ol>
 *
 * <p>Each measured run follows an unmeasured warm-up under the same load. Every run reports what
 * it cost: this JVM's CPU (per thread group), the whole machine's busy CPU (other processes on the
 * machine show up as the difference, PostgreSQL and wrk among them), GC and JIT time. W5 also
 * checks that every 202 is a record on the topic.
 */
public final class IngressBenchmark {

    private static final String EVENTS_TOPIC = "bench-events";
    private static final String QUOTES_TOPIC = "quotes";
    private static final String PREFIX = "bench.internal.";
    private static final int EVENTS_PARTITIONS = 4;
    private static final double TARGET_RATIO = 0.6;
    private static final double TARGET_P99_MS = 20;
    private static final Duration INTERACTIVE_TIMEOUT = Duration.ofSeconds(5);
    /** A small order event, 100 bytes of JSON (also posted to the hello server). */
    static final byte[] BODY = ("{\"orderId\":\"o-000042\",\"customer\":\"c-1337\",\"sku\":\"SKU-4711\",\"qty\":3,"
            + "\"price\":19.99,\"currency\":\"EUR\",\"n\":7}").getBytes(StandardCharsets.UTF_8);


    private final Options options;
    private final String bootstrap;
    private final Database db;
    private final IngressServer ingress;
    private final String wrk;
    private boolean failed;
    /** When the extension saw each request of the current interactive run (by sequence number), or null. */
    private volatile AtomicLongArray handleMarks;

    private IngressBenchmark(Options options, String bootstrap, Database db, IngressServer ingress, String wrk) {
        this.options = options;
        this.bootstrap = bootstrap;
        this.db = db;
        this.ingress = ingress;
        this.wrk = wrk;
    }

    public static void main(String[] args) {
        BenchOutput.runMain("bench-ingress", Options.USAGE, () -> run(Options.parse(args)));
    }

    private static boolean run(Options o) throws Exception {
        String wrk = switch (o.client) {
            case "java" -> null;
            case "wrk" -> {
                String found = findOnPath("wrk");
                if (found == null) {
                    throw new IllegalArgumentException("--client wrk: wrk is not on the PATH");
                }
                yield found;
            }
            default -> findOnPath("wrk");
        };
        progress("starting Kafka broker");
        long t = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            double brokerSeconds = secondsSince(t);
            progress("starting PostgreSQL");
            t = System.nanoTime();
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
                String url = pg.getJdbcUrl("postgres", "postgres");
                try (Database db = Database.openAndMigrate(new DbConfig(url, "postgres", null, 8, "public"), "bench")) {
                    double pgSeconds = secondsSince(t);
                    createTopic(broker.bootstrap(), EVENTS_TOPIC, EVENTS_PARTITIONS);
                    createTopic(broker.bootstrap(), QUOTES_TOPIC, 1);
                    createTopic(broker.bootstrap(), PREFIX + "replies", 1);
                    createTopic(broker.bootstrap(), PREFIX + "delayed", 1);
                    progress("starting the ingress");
                    IngressConfig config = IngressConfig.builder(broker.bootstrap())
                            .host("127.0.0.1")
                            .port(0)
                            .topics(Set.of(EVENTS_TOPIC, QUOTES_TOPIC))
                            .topicPrefix(PREFIX)
                            .node("bench-ingress")
                            .interactiveTimeout(INTERACTIVE_TIMEOUT)
                            .build();
                    try (IngressServer ingress = IngressServer.start(config,
                            new IngressServer.Collaborators(db, Clock.systemUTC()))) {
                        ObjectNode setup = line("setup");
                        setup.put("cpus", Runtime.getRuntime().availableProcessors());
                        setup.put("load_average_1m", round3(ManagementFactory.getOperatingSystemMXBean()
                                .getSystemLoadAverage()));
                        setup.put("jdk", Runtime.version().toString());
                        setup.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
                        setup.put("broker_start_seconds", round3(brokerSeconds));
                        setup.put("postgres_start_seconds", round3(pgSeconds));
                        setup.put("postgres_fsync", pgSetting(db.dsl(), "fsync"));
                        setup.put("postgres_synchronous_commit", pgSetting(db.dsl(), "synchronous_commit"));
                        setup.put("client", wrk != null ? "wrk" : "java-httpclient");
                        if (wrk != null) {
                            setup.put("wrk", wrk);
                            setup.put("wrk_version", wrkVersion(wrk));
                        }
                        setup.put("seconds", o.seconds);
                        setup.put("warmup_seconds", o.warmupSeconds);
                        setup.put("connections", o.connections);
                        setup.put("rate", o.rate);
                        setup.put("body_bytes", BODY.length);
                        setup.put("ingress", ingress.baseUri().toString());
                        emit(setup);
                        return new IngressBenchmark(o, broker.bootstrap(), db, ingress, wrk).workloads();
                    }
                }
            }
        } finally {
            progress("infrastructure closed");
        }
    }

    private boolean workloads() throws Exception {
        eventsVersusHello();
        interactive();
        return !failed;
    }

    // ---- W5: events/s against a bare hello server ------------------------------------------------

    private void eventsVersusHello() throws Exception {
        URI events = ingress.baseUri().resolve("/v1/events/" + EVENTS_TOPIC);
        WebServer hello = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .routing(r -> r.post("/hello", (req, res) -> {
                    req.content().consume();
                    res.send("hello");
                }))
                .build()
                .start();
        Load ev;
        Load he;
        try {
            URI helloUri = URI.create("http://127.0.0.1:" + hello.port() + "/hello");
            ev = load("events", events, 202);
            he = load("hello", helloUri, 200);
        } finally {
            hello.stop();
        }
        long onTopic = recordsOn(EVENTS_TOPIC);

        ObjectNode json = line("W5-events");
        json.put("client", wrk != null ? "wrk" : "java-httpclient");
        json.put("http", "HTTP/1.1 keep-alive");
        json.put("connections", options.connections);
        json.put("seconds", options.seconds);
        json.put("warmup_seconds", options.warmupSeconds);
        json.put("body_bytes", BODY.length);
        json.put("endpoint", "POST /v1/events/" + EVENTS_TOPIC);
        ev.put(json, "events_", 202);
        json.put("hello_endpoint", "POST /hello (bare Helidon WebServer, same JVM)");
        he.put(json, "hello_", 200);
        double ratio = he.perSecond() > 0 ? ev.perSecond() / he.perSecond() : 0;
        json.put("ratio", round3(ratio));
        json.put("target_ratio", TARGET_RATIO);
        json.put("meets_target", ratio >= TARGET_RATIO);
        // Every 202 (warm-up and measured) must be a record on the topic: nothing else writes to it.
        // The Java client waits for every answer, so the counts are equal; wrk drops the requests
        // still in flight when its time is up (at most one per connection per run), which the
        // ingress may well have enqueued.
        long accepted = ev.warmupOk() + ev.ok();
        long runs = options.warmupSeconds > 0 ? 2 : 1;
        long inFlightAtCutoff = wrk != null ? runs * options.connections : 0;
        json.put("events_accepted_total", accepted);
        json.put("events_on_topic", onTopic);
        List<String> errors = new ArrayList<>();
        if (onTopic < accepted) {
            errors.add(accepted + " events were acknowledged with 202 but the topic holds only " + onTopic + " records");
        } else if (onTopic > accepted + inFlightAtCutoff) {
            errors.add("the topic holds " + onTopic + " records but only " + accepted + " events were acknowledged "
                    + "with 202 (at most " + inFlightAtCutoff + " unanswered requests expected)");
        }
        if (ev.other() + ev.warmupOther() > 0 || ev.errors() > 0) {
            errors.add("events: " + (ev.other() + ev.warmupOther()) + " answers other than 202 and " + ev.errors()
                    + " transport errors; first: " + ev.sample());
        }
        if (he.other() > 0 || he.errors() > 0) {
            // The baseline's own failures do not fail the run (the ingress is not involved), but
            // they are the same Helidon server with the same defaults: worth a look.
            json.put("hello_warning", he.other() + " answers other than 200 and " + he.errors()
                    + " transport errors on the bare Helidon server; first: " + he.sample());
        }
        if (ev.ok() == 0 || he.ok() == 0) {
            errors.add("no successful requests were measured");
        }
        if (!errors.isEmpty()) {
            fail(json, String.join("; ", errors));
        }
        emit(json);
    }

    /** Warm-up, then the measured run, of one target with the configured client. */
    private Load load(String name, URI uri, int expected) throws Exception {
        if (wrk != null) {
            Load warm = options.warmupSeconds > 0 ? wrkRun(name + " warm-up", uri, expected, options.warmupSeconds)
                    : Load.EMPTY;
            return wrkRun(name, uri, expected, options.seconds).withWarmup(warm);
        }
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            Load warm = options.warmupSeconds > 0 ? javaRun(name + " warm-up", client, uri, expected,
                    options.warmupSeconds) : Load.EMPTY;
            return javaRun(name, client, uri, expected, options.seconds).withWarmup(warm);
        }
    }

    /** C virtual threads, each sending back to back on the shared client's keep-alive pool. */
    private Load javaRun(String name, HttpClient client, URI uri, int expected, int seconds) throws Exception {
        progress(name + ": " + options.connections + " connections for " + seconds + " s on " + uri
                + " (java.net.http, HTTP/1.1)");
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(BODY))
                .build();
        int c = options.connections;
        LongList[] latencies = new LongList[c];
        AtomicLong ok = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        AtomicReference<String> sample = new AtomicReference<>();
        Thread[] threads = new Thread[c];
        CountDownLatch go = new CountDownLatch(1);
        Meter meter = Meter.start();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        for (int i = 0; i < c; i++) {
            LongList lat = latencies[i] = new LongList();
            threads[i] = Thread.ofVirtual().name("bench-client-" + i).start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                while (System.nanoTime() < deadline) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        lat.add(System.nanoTime() - t0);
                        if (r.statusCode() == expected) {
                            ok.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                            statuses.computeIfAbsent(r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                            sample.compareAndSet(null, r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();
                        sample.compareAndSet(null, e.toString());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        go.countDown();
        for (Thread thread : threads) {
            long left = deadline + TimeUnit.SECONDS.toNanos(60) - System.nanoTime();
            if (!thread.join(Duration.ofNanos(Math.max(1, left)))) {
                throw new IllegalStateException(name + ": a client thread is still waiting for an answer 60 s after "
                        + "the end of the run (hang?)");
            }
        }
        long end = System.nanoTime();
        Window window = meter.stop();
        LongList all = new LongList();
        for (LongList l : latencies) {
            all.addAll(l);
        }
        Map<String, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(Integer.toString(k), v.get()));
        Load load = new Load(ok.get(), other.get(), errors.get(), (end - start) / 1e9, Percentiles.of(all.sorted()),
                byStatus, sample.get(), window, 0, 0);
        progress(name + ": " + Math.round(load.perSecond()) + " ok/s, p50 " + load.latency().p50Ms() + " ms, p99 "
                + load.latency().p99Ms() + " ms, " + load.other() + " other, " + load.errors() + " errors");
        return load;
    }

    // ---- wrk ---------------------------------------------------------------------------------------

    /**
     * POSTs the body with wrk; per-thread counters of the expected status, summed in {@code done()}
     * and printed as one line prefixed {@code BENCH_JSON}.
     */
    private static final String WRK_SCRIPT = """
            wrk.method = "POST"
            wrk.body = [[%s]]
            wrk.headers["Content-Type"] = "application/json"
            local threads = {}
            function setup(thread)
              table.insert(threads, thread)
            end
            function init(args)
              expected = tonumber(args[1])
              ok = 0
              other = 0
              others = {}
              others_str = ""
            end
            function response(status, headers, body)
              if status == expected then
                ok = ok + 1
              else
                other = other + 1
                others[status] = (others[status] or 0) + 1
                local parts = {}
                for s, n in pairs(others) do
                  table.insert(parts, s .. ":" .. n)
                end
                others_str = table.concat(parts, ",")
              end
            end
            function done(summary, latency, requests)
              local o, n, s = 0, 0, {}
              for _, t in ipairs(threads) do
                o = o + t:get("ok")
                n = n + t:get("other")
                local str = t:get("others_str")
                if str ~= nil and str ~= "" then
                  table.insert(s, str)
                end
              end
              local e = summary.errors
              io.write(string.format(
                'BENCH_JSON {"requests":%%d,"duration_us":%%d,"ok":%%d,"other":%%d,"others":"%%s",'
                .. '"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d,'
                .. '"p50_us":%%d,"p99_us":%%d,"max_us":%%d}\\n',
                summary.requests, summary.duration, o, n, table.concat(s, ","),
                e.connect, e.read, e.write, e.timeout,
                latency:percentile(50), latency:percentile(99), latency.max))
            end
            """;

    private Load wrkRun(String name, URI uri, int expected, int seconds) throws Exception {
        int threads = Math.max(1, Math.min(options.connections, Runtime.getRuntime().availableProcessors() / 2));
        progress(name + ": " + options.connections + " connections, " + threads + " thread(s) for " + seconds
                + " s on " + uri + " (wrk)");
        Path script = Files.createTempFile("bench-ingress-", ".lua");
        try {
            Files.writeString(script, WRK_SCRIPT.formatted(new String(BODY, StandardCharsets.UTF_8)));
            ProcessBuilder pb = new ProcessBuilder(wrk, "-t", Integer.toString(threads),
                    "-c", Integer.toString(options.connections), "-d", seconds + "s", "--timeout", "30s",
                    "-s", script.toString(), uri.toString(), "--", Integer.toString(expected));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Meter meter = Meter.start();
            Process p = pb.start();
            String stdout;
            try (InputStream in = p.getInputStream()) {
                stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(seconds + 90L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(name + ": wrk did not finish");
            }
            Window window = meter.stop();
            String result = null;
            for (String l : stdout.split("\n")) {
                if (l.startsWith("BENCH_JSON ")) {
                    result = l.substring("BENCH_JSON ".length());
                } else if (!l.isBlank()) {
                    System.err.println("  wrk: " + l);
                }
            }
            if (p.exitValue() != 0 || result == null) {
                throw new IllegalStateException(name + ": wrk exited with " + p.exitValue() + " and no result");
            }
            JsonNode r = Json.parse(result.getBytes(StandardCharsets.UTF_8));
            long errors = r.path("connect").asLong() + r.path("read").asLong() + r.path("write").asLong()
                    + r.path("timeout").asLong();
            Map<String, Long> byStatus = new TreeMap<>();
            String others = r.path("others").asText("");
            if (!others.isEmpty()) {
                for (String part : others.split(",")) {
                    String[] kv = part.split(":");
                    byStatus.merge(kv[0], Long.parseLong(kv[1]), Long::sum);
                }
            }
            Percentiles lat = new Percentiles(r.path("requests").asLong(), r.path("p50_us").asLong() / 1000.0,
                    -1, r.path("p99_us").asLong() / 1000.0, r.path("max_us").asLong() / 1000.0);
            Load load = new Load(r.path("ok").asLong(), r.path("other").asLong(), errors,
                    r.path("duration_us").asLong() / 1e6, lat, byStatus,
                    byStatus.isEmpty() ? (errors > 0 ? "wrk socket errors: " + result : null) : "statuses " + byStatus,
                    window, 0, 0);
            progress(name + ": " + Math.round(load.perSecond()) + " ok/s, p50 " + lat.p50Ms() + " ms, p99 "
                    + lat.p99Ms() + " ms, " + load.other() + " other, " + load.errors() + " errors");
            return load;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static String wrkVersion(String wrk) {
        try {
            Process p = new ProcessBuilder(wrk, "-v").redirectErrorStream(true).start();
            String text;
            try (InputStream in = p.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            p.waitFor(5, TimeUnit.SECONDS);
            return text.lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    // ---- W6: interactive round trip -------------------------------------------------------------

    private void interactive() throws Exception {
        URI uri = ingress.baseUri().resolve("/v1/interactive/" + QUOTES_TOPIC);
        AtomicLong handled = new AtomicLong();
        InteractiveExtension extension = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(QUOTES_TOPIC);
            }

            @Override
            public String name() {
                return "bench-quotes";
            }

            @Override
            public InteractiveResult handle(Task task) {
                handled.incrementAndGet();
                AtomicLongArray marks = handleMarks;
                if (marks != null) {
                    int seq = task.json().path("n").asInt(-1);
                    if (seq >= 0 && seq < marks.length()) {
                        marks.set(seq, System.nanoTime());
                    }
                }
                return InteractiveResult.done(200, Map.of(), Map.of("ok", true));
            }
        };
        WorkerConfig config = WorkerConfig.builder(bootstrap)
                .group("bench-interactive")
                .node("bench-worker")
                .topicPrefix(PREFIX)
                .shutdownGrace(Duration.ofSeconds(10))
                .build();
        progress("W6-interactive: starting the worker");
        long t = System.nanoTime();
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension)));
        ObjectNode json = line("W6-interactive");
        json.put("endpoint", "POST /v1/interactive/" + QUOTES_TOPIC);
        json.put("rate", options.rate);
        json.put("seconds", options.seconds);
        json.put("warmup_seconds", options.warmupSeconds);
        json.put("client", "java-httpclient, HTTP/1.1, open-loop: a virtual thread per request at its scheduled time");
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            if (!worker.awaitAssignment(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the worker got no partitions within 60 s");
            }
            json.put("worker_assigned_after_seconds", round3(secondsSince(t)));
            HttpRequest request = interactiveRequest(uri, -1);
            // First answer: the worker's first poll and the ingress's reply listener are ready.
            long primeStart = System.nanoTime();
            int primeStatus = 0;
            while (secondsSince(primeStart) < 30) {
                primeStatus = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (primeStatus == 200) {
                    break;
                }
                Thread.sleep(200);
            }
            json.put("first_answer_after_seconds", round3(secondsSince(primeStart)));
            if (primeStatus != 200) {
                fail(json, "no 200 from " + uri + " within 30 s (last status " + primeStatus + ")");
                emit(json);
                return;
            }
            int primes = handled.intValue();
            OpenLoop warm = options.warmupSeconds > 0
                    ? openLoop("W6-interactive warm-up", client, uri, options.warmupSeconds) : null;
            OpenLoop run = openLoop("W6-interactive", client, uri, options.seconds);
            run.put(json);
            if (warm != null) {
                json.put("warmup_non_200", warm.non200);
                json.put("warmup_errors", warm.errors + warm.unanswered);
            }
            json.put("target_p99_ms", TARGET_P99_MS);
            json.put("meets_target", run.latency.p99Ms() <= TARGET_P99_MS && run.non200 == 0 && run.errors == 0
                    && run.unanswered == 0);
            // One extension call per request sent (priming, warm-up, measured): no more, no fewer.
            long sent = primes + (warm == null ? 0 : warm.requests) + run.requests;
            json.put("extension_calls_total", handled.get());
            json.put("requests_total", sent);
            List<String> errors = new ArrayList<>();
            if (run.non200 > 0 || run.errors > 0) {
                errors.add(run.non200 + " answers other than 200 " + run.statuses + " and " + run.errors
                        + " transport errors; first: " + run.sample);
            }
            if (warm != null && (warm.non200 > 0 || warm.errors > 0 || warm.unanswered > 0)) {
                errors.add("warm-up: " + warm.non200 + " answers other than 200 " + warm.statuses + ", "
                        + warm.errors + " transport errors, " + warm.unanswered + " unanswered; first: " + warm.sample);
            }
            if (handled.get() != sent) {
                errors.add("the extension was called " + handled.get() + " times for " + sent + " requests");
            }
            if (run.unanswered > 0) {
                errors.add(run.unanswered + " requests had no answer " + INTERACTIVE_TIMEOUT.plusSeconds(20).toSeconds()
                        + " s after the last was sent");
            }
            if (!errors.isEmpty()) {
                fail(json, String.join("; ", errors));
            }
        } finally {
            long closeStart = System.nanoTime();
            worker.close();
            json.put("worker_close_seconds", round3(secondsSince(closeStart)));
        }
        emit(json);
    }

    /**
     * The W5 body with its {@code n} field set to the request's sequence number (so the extension can
     * note when request {@code seq} reached it); -1 for none.
     */
    private static HttpRequest interactiveRequest(URI uri, int seq) {
        String body = new String(BODY, StandardCharsets.UTF_8).replace("\"n\":7}", "\"n\":" + seq + "}");
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .timeout(INTERACTIVE_TIMEOUT.plusSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private record OpenLoop(int requests, double achievedRate, Percentiles latency, Percentiles fromSchedule,
            double maxStartLagMs, long ok, long non200, long errors, long unanswered, Map<String, Long> statuses,
            String sample, Window window, Percentiles toExtension, Percentiles fromExtension) {

        void put(ObjectNode json) {
            json.put("requests", requests);
            json.put("achieved_rate", Math.round(achievedRate));
            json.put("ok", ok);
            json.put("non_200", non200);
            json.put("errors", errors);
            json.put("unanswered", unanswered);
            if (!statuses.isEmpty()) {
                ObjectNode s = json.putObject("statuses");
                statuses.forEach(s::put);
            }
            json.put("p50_ms", latency.p50Ms());
            json.put("p95_ms", latency.p95Ms());
            json.put("p99_ms", latency.p99Ms());
            json.put("max_ms", latency.maxMs());
            json.put("samples", latency.samples());
            json.put("p99_from_schedule_ms", fromSchedule.p99Ms());
            json.put("max_start_lag_ms", round3(maxStartLagMs));
            if (toExtension.samples() > 0) {
                json.put("send_to_extension_p50_ms", toExtension.p50Ms());
                json.put("send_to_extension_p99_ms", toExtension.p99Ms());
                json.put("extension_to_answer_p50_ms", fromExtension.p50Ms());
                json.put("extension_to_answer_p99_ms", fromExtension.p99Ms());
            }
            window.put(json, "");
        }
    }

    /**
     * Sends {@code rate * seconds} requests, request i due at start + i/rate, each on its own virtual
     * thread started at its due time (so a slow answer never delays the next send); latency is timed
     * from just before the send. Waits for every answer (up to the interactive timeout and more).
     */
    private OpenLoop openLoop(String name, HttpClient client, URI uri, int seconds) throws Exception {
        int n = (int) Math.max(1, (long) options.rate * seconds);
        progress(name + ": " + n + " requests at " + options.rate + "/s");
        long interval = 1_000_000_000L / options.rate;
        long[] due = new long[n];
        long[] sent = new long[n];
        long[] answered = new long[n];
        int[] status = new int[n];
        AtomicLongArray handledAt = new AtomicLongArray(n);
        HttpRequest[] requests = new HttpRequest[n];
        for (int i = 0; i < n; i++) {
            requests[i] = interactiveRequest(uri, i);
        }
        handleMarks = handledAt;
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> sample = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(n);
        Meter meter = Meter.start();
        long start = System.nanoTime();
        long last = start;
        for (int i = 0; i < n; i++) {
            long d = start + i * interval;
            long wait;
            while ((wait = d - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            int k = i;
            due[k] = d;
            last = System.nanoTime();
            Thread.ofVirtual().start(() -> {
                try {
                    sent[k] = System.nanoTime();
                    HttpResponse<byte[]> r = client.send(requests[k], HttpResponse.BodyHandlers.ofByteArray());
                    answered[k] = System.nanoTime();
                    status[k] = r.statusCode();
                    if (r.statusCode() != 200) {
                        sample.compareAndSet(null, r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                    sample.compareAndSet(null, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            });
        }
        double achieved = n <= 1 ? n : (n - 1) / ((last - start) / 1e9);
        boolean all = done.await(INTERACTIVE_TIMEOUT.plusSeconds(20).toSeconds(), TimeUnit.SECONDS);
        Window window = meter.stop();
        handleMarks = null;
        long[] latencies = new long[n];
        long[] toExtension = new long[n];
        long[] fromExtension = new long[n];
        int marked = 0;
        long[] fromSchedule = new long[n];
        int k = 0;
        long ok = 0;
        long non200 = 0;
        long unanswered = 0;
        double maxLag = 0;
        Map<String, Long> statuses = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (answered[i] != 0) {
                latencies[k] = answered[i] - sent[i];
                fromSchedule[k] = answered[i] - due[i];
                k++;
                long h = handledAt.get(i);
                if (h != 0 && h >= sent[i] && h <= answered[i]) {
                    toExtension[marked] = h - sent[i];
                    fromExtension[marked] = answered[i] - h;
                    marked++;
                }
                maxLag = Math.max(maxLag, (sent[i] - due[i]) / 1e6);
                if (status[i] == 200) {
                    ok++;
                } else {
                    non200++;
                    statuses.merge(Integer.toString(status[i]), 1L, Long::sum);
                }
            }
        }
        long errorCount = errors.get();
        if (!all) {
            unanswered = n - k - errorCount;
        }
        long[] sorted = Arrays.copyOf(latencies, k);
        Arrays.sort(sorted);
        long[] sortedSchedule = Arrays.copyOf(fromSchedule, k);
        Arrays.sort(sortedSchedule);
        long[] to = Arrays.copyOf(toExtension, marked);
        long[] from = Arrays.copyOf(fromExtension, marked);
        Arrays.sort(to);
        Arrays.sort(from);
        OpenLoop result = new OpenLoop(n, achieved, Percentiles.of(sorted), Percentiles.of(sortedSchedule), maxLag, ok,
                non200, errorCount, unanswered, statuses, sample.get(), window, Percentiles.of(to),
                Percentiles.of(from));
        progress(name + ": p50 " + result.latency.p50Ms() + " ms, p99 " + result.latency.p99Ms() + " ms, max "
                + result.latency.maxMs() + " ms, " + non200 + " non-200, " + errorCount + " errors, " + unanswered
                + " unanswered");
        return result;
    }

    // ---- results ------------------------------------------------------------------------------

    /** One closed-loop run: answers with the expected status, others, transport errors, latencies. */
    private record Load(long ok, long other, long errors, double seconds, Percentiles latency,
            Map<String, Long> statuses, String sample, Window window, long warmupOk, long warmupOther) {

        static final Load EMPTY = new Load(0, 0, 0, 0, new Percentiles(0, 0, 0, 0, 0), Map.of(), null, null, 0, 0);

        double perSecond() {
            return seconds > 0 ? ok / seconds : 0;
        }

        Load withWarmup(Load warm) {
            return new Load(ok, other, errors, seconds, latency, statuses, sample != null ? sample : warm.sample,
                    window, warm.ok, warm.other);
        }

        void put(ObjectNode json, String prefix, int expected) {
            json.put(prefix + "per_s", Math.round(perSecond()));
            json.put(prefix + "ok", ok);
            json.put(prefix + "non_" + expected, other);
            json.put(prefix + "transport_errors", errors);
            if (!statuses.isEmpty()) {
                ObjectNode s = json.putObject(prefix + "statuses");
                statuses.forEach(s::put);
            }
            json.put(prefix + "p50_ms", latency.p50Ms());
            json.put(prefix + "p99_ms", latency.p99Ms());
            json.put(prefix + "max_ms", latency.maxMs());
            json.put(prefix + "measured_seconds", round3(seconds));
            window.put(json, prefix);
        }
    }

    private record Percentiles(long samples, double p50Ms, double p95Ms, double p99Ms, double maxMs) {

        static Percentiles of(long[] sorted) {
            int k = sorted.length;
            return new Percentiles(k, ms(percentile(sorted, 0.50)), ms(percentile(sorted, 0.95)),
                    ms(percentile(sorted, 0.99)), ms(k == 0 ? 0 : sorted[k - 1]));
        }

        private static double ms(long nanos) {
            return round3(nanos / 1e6);
        }
    }

    /** A growable array of longs (latencies in nanoseconds), one per client thread. */
    private static final class LongList {
        private long[] values = new long[4096];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void addAll(LongList other) {
            if (size + other.size > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + other.size));
            }
            System.arraycopy(other.values, 0, values, size, other.size);
            size += other.size;
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }

    // ---- Kafka --------------------------------------------------------------------------------

    private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(adminProperties(bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                org.apache.kafka.clients.admin.TopicDescription description;
                try {
                    description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                            .get(topic);
                } catch (java.util.concurrent.ExecutionException e) {
                    // Just created: the broker's metadata may not list it yet.
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    description = null;
                }
                if (description != null && description.partitions().size() == partitions
                        && description.partitions().stream().allMatch(tp -> tp.leader() != null)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " has no leaders after 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    /** Records on {@code topic}: the sum of its partitions' end offsets (nothing is ever deleted). */
    private long recordsOn(String topic) throws Exception {
        try (Admin admin = Admin.create(adminProperties(bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (int p = 0; p < EVENTS_PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset()).sum();
        }
    }

    private static Properties adminProperties(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static String findOnPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /**
     * What a measured window cost: this JVM's CPU time (client, servers, broker, worker alike; wrk
     * and PostgreSQL run outside it), the whole machine's busy CPU from {@code /proc/stat} (so
     * other processes competing for the cores show up), garbage collection and JIT compilation time.
     */
    private record Meter(long nanos, long jvmCpu, long[] machine, long gcCount, long gcMillis, long jit0,
            Map<Long, ThreadCpu> threads) {

        /** A platform thread's name (digits as N, so pools group) and CPU time so far. */
        private record ThreadCpu(String group, long nanos) {}

        static Meter start() {
            long[] gc = gc();
            return new Meter(System.nanoTime(), jvmCpuNanos(), machineJiffies(), gc[0], gc[1], jitMillis(),
                    threadCpu());
        }

        Window stop() {
            Map<Long, ThreadCpu> after = threadCpu();
            long[] gc = gc();
            long[] m = machineJiffies();
            long jvm = jvmCpuNanos() - jvmCpu;
            double seconds = (System.nanoTime() - nanos) / 1e9;
            double machineBusy = -1;
            if (m != null && machine != null && m[1] > machine[1]) {
                machineBusy = (double) (m[0] - machine[0]) / (m[1] - machine[1]) * m[2];
            }
            // CPU per thread group over the window; what no live Java thread accounts for is the VM's
            // own work (JIT compiler threads, garbage collector threads) and threads that ended.
            Map<String, Long> byGroup = new java.util.HashMap<>();
            long attributed = 0;
            for (var e : after.entrySet()) {
                ThreadCpu before = threads.get(e.getKey());
                long used = e.getValue().nanos() - (before == null ? 0 : before.nanos());
                if (used > 0) {
                    byGroup.merge(e.getValue().group(), used, Long::sum);
                    attributed += used;
                }
            }
            Map<String, Double> top = new java.util.LinkedHashMap<>();
            List<Map.Entry<String, Long>> sorted = new ArrayList<>(byGroup.entrySet());
            sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            long rest = 0;
            for (int i = 0; i < sorted.size(); i++) {
                if (i < 8) {
                    top.put(sorted.get(i).getKey(), round3(sorted.get(i).getValue() / 1e9 / seconds));
                } else {
                    rest += sorted.get(i).getValue();
                }
            }
            top.put("(other threads)", round3(rest / 1e9 / seconds));
            top.put("(unattributed: JIT, GC, ended threads)", round3(Math.max(0, jvm - attributed) / 1e9 / seconds));
            return new Window(seconds, jvm / 1e9 / seconds, machineBusy, gc[0] - gcCount, gc[1] - gcMillis,
                    jitMillis() - jit0, top);
        }

        private static long jitMillis() {
            var jit = ManagementFactory.getCompilationMXBean();
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
        }

        private static Map<Long, ThreadCpu> threadCpu() {
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            Map<Long, ThreadCpu> cpu = new java.util.HashMap<>();
            if (!mx.isThreadCpuTimeSupported()) {
                return cpu;
            }
            for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                long nanos = mx.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    cpu.put(info.getThreadId(), new ThreadCpu(info.getThreadName().replaceAll("\\d+", "N"), nanos));
                }
            }
            return cpu;
        }

        private static long jvmCpuNanos() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getProcessCpuTime();
            }
            return 0;
        }

        private static long[] gc() {
            long count = 0;
            long millis = 0;
            for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, bean.getCollectionCount());
                millis += Math.max(0, bean.getCollectionTime());
            }
            return new long[] {count, millis};
        }

        /** Busy and total jiffies over all CPUs, and the number of CPUs; null off Linux. */
        private static long[] machineJiffies() {
            try {
                List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
                String[] f = lines.get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                long cpus = lines.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
                return new long[] {total - idle, total, cpus};
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /**
     * @param jvmCores this JVM's CPU time over the window, in cores
     * @param machineCores the machine's busy CPU over the window, in cores (-1 when unknown)
     */
    private record Window(double seconds, double jvmCores, double machineCores, long gcCount, long gcMillis,
            long jitMillis, Map<String, Double> threadCores) {

        void put(ObjectNode json, String prefix) {
            json.put(prefix + "jvm_cpu_cores_busy", round3(jvmCores));
            if (machineCores >= 0) {
                json.put(prefix + "machine_cpu_cores_busy", round3(machineCores));
            }
            json.put(prefix + "gc_count", gcCount);
            json.put(prefix + "gc_ms", gcMillis);
            json.put(prefix + "jit_ms", jitMillis);
            ObjectNode threads = json.putObject(prefix + "jvm_cpu_cores_by_thread");
            threadCores.forEach(threads::put);
        }
    }

    private void fail(ObjectNode json, String error) {
        json.put("error", error);
        failed = true;
    }

    // ---- options ---------------------------------------------------------------------------------

    private record Options(int seconds, int connections, int rate, int warmupSeconds, String client) {

        static final String USAGE = """
                usage: bench-ingress [--seconds S] [--connections C] [--rate R] [--warmup-seconds W]
                                     [--client auto|java|wrk]
                  --seconds S          measured seconds per workload run (default 10)
                  --connections C      keep-alive connections in W5, events and hello alike (default 32)
                  --rate R             interactive requests per second in W6, open-loop (default 500)
                  --warmup-seconds W   unmeasured warm-up before each measured run, same load (default 10;
                                       0 skips it; with less, JIT compilation still takes a core)
                  --client CLIENT      W5's load generator: wrk if it is on the PATH, else java.net.http
                                       (auto, the default); or force java or wrk""";

        static Options parse(String[] args) {
            int seconds = 10;
            int connections = 32;
            int rate = 500;
            int warmup = 10;
            String client = "auto";
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                } else if (arg.equals("-h") || arg.equals("--help")) {
                    throw new IllegalArgumentException("help");
                } else {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    value = args[++i];
                }
                switch (arg) {
                    case "--seconds" -> seconds = positive(arg, value, 1);
                    case "--connections" -> connections = positive(arg, value, 1);
                    case "--rate" -> rate = positive(arg, value, 1);
                    case "--warmup-seconds" -> warmup = positive(arg, value, 0);
                    case "--client" -> {
                        client = value.trim().toLowerCase(Locale.ROOT);
                        if (!Set.of("auto", "java", "wrk").contains(client)) {
                            throw new IllegalArgumentException("--client must be auto, java or wrk, was '" + value + "'");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (rate > 100_000) {
                throw new IllegalArgumentException("--rate must be at most 100000");
            }
            if (connections > 10_000) {
                throw new IllegalArgumentException("--connections must be at most 10000");
            }
            return new Options(seconds, connections, rate, warmup, client);
        }

        private static int positive(String name, String value, int min) {
            try {
                int v = Integer.parseInt(value.trim());
                if (v < min) {
                    throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'");
            }
        }
    }
}
