package dev.conveyor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop HTTP load for W5: C keep-alive HTTP/1.1 connections posting the same body back to
 * back for S seconds after an unmeasured warm-up under the same load. The client is {@code wrk}
 * when given (a Lua script makes it POST and count statuses), else {@link HttpClient} with a
 * virtual thread per connection. Each run reports what it cost ({@link CpuMeter}).
 */
final class ClosedLoop {

    private final Progress progress;
    private final int connections;
    private final int seconds;
    private final int warmupSeconds;
    private final String wrk;
    private final byte[] body;

    /** @param wrk the wrk executable, or null for java.net.http */
    ClosedLoop(Progress progress, int connections, int seconds, int warmupSeconds, String wrk, byte[] body) {
        this.progress = progress;
        this.connections = connections;
        this.seconds = seconds;
        this.warmupSeconds = warmupSeconds;
        this.wrk = wrk;
        this.body = body;
    }

    /** Warm-up, then the measured run, of one target with the configured client. */
    Load run(String name, URI uri, int expected) throws Exception {
        if (wrk != null) {
            Load warm = warmupSeconds > 0 ? wrkRun(name + " warm-up", uri, expected, warmupSeconds)
                    : Load.EMPTY;
            return wrkRun(name, uri, expected, seconds).withWarmup(warm);
        }
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            Load warm = warmupSeconds > 0 ? javaRun(name + " warm-up", client, uri, expected,
                    warmupSeconds) : Load.EMPTY;
            return javaRun(name, client, uri, expected, seconds).withWarmup(warm);
        }
    }

    /** C virtual threads, each sending back to back on the shared client's keep-alive pool. */
    private Load javaRun(String name, HttpClient client, URI uri, int expected, int seconds) throws Exception {
        progress.say(name + ": " + connections + " connections for " + seconds + " s on " + uri
                + " (java.net.http, HTTP/1.1)");
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        int c = connections;
        LongList[] latencies = new LongList[c];
        AtomicLong ok = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        AtomicReference<String> sample = new AtomicReference<>();
        Thread[] threads = new Thread[c];
        CountDownLatch go = new CountDownLatch(1);
        CpuMeter meter = CpuMeter.start();
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
                            sample.compareAndSet(null,
                                    r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
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
        CpuMeter.Window window = meter.stop();
        LongList all = new LongList();
        for (LongList l : latencies) {
            all.addAll(l);
        }
        Map<String, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(Integer.toString(k), v.get()));
        Load load = new Load(ok.get(), other.get(), errors.get(), (end - start) / 1e9, Latency.of(all.sorted()),
                byStatus, sample.get(), window, 0, 0);
        progress.say(name + ": " + Math.round(load.perSecond()) + " ok/s, p50 " + Latency.ms(load.latency().p50())
                + " ms, p99 "
                + Latency.ms(load.latency().p99()) + " ms, " + load.other() + " other, " + load.errors() + " errors");
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
        int threads = Math.max(1, Math.min(connections, Runtime.getRuntime().availableProcessors() / 2));
        progress.say(name + ": " + connections + " connections, " + threads + " thread(s) for " + seconds
                + " s on " + uri + " (wrk)");
        Path script = Files.createTempFile("bench-http-", ".lua");
        try {
            Files.writeString(script, WRK_SCRIPT.formatted(new String(body, StandardCharsets.UTF_8)));
            ProcessBuilder pb = new ProcessBuilder(wrk, "-t", Integer.toString(threads),
                    "-c", Integer.toString(connections), "-d", seconds + "s", "--timeout", "30s",
                    "-s", script.toString(), uri.toString(), "--", Integer.toString(expected));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            CpuMeter meter = CpuMeter.start();
            Process p = pb.start();
            String stdout;
            try (InputStream in = p.getInputStream()) {
                stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(seconds + 90L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(name + ": wrk did not finish");
            }
            CpuMeter.Window window = meter.stop();
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
            Latency lat = new Latency((int) r.path("requests").asLong(), r.path("p50_us").asLong() * 1000, -1,
                    r.path("p99_us").asLong() * 1000, r.path("max_us").asLong() * 1000, 0, 0, 0);
            Load load = new Load(r.path("ok").asLong(), r.path("other").asLong(), errors,
                    r.path("duration_us").asLong() / 1e6, lat, byStatus,
                    byStatus.isEmpty() ? (errors > 0 ? "wrk socket errors: " + result : null) : "statuses " + byStatus,
                    window, 0, 0);
            progress.say(name + ": " + Math.round(load.perSecond()) + " ok/s, p50 " + Latency.ms(lat.p50()) + " ms, p99 "
                    + Latency.ms(lat.p99()) + " ms, " + load.other() + " other, " + load.errors() + " errors");
            return load;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    static String wrkVersion(String wrk) {
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

    /** One closed-loop run: answers with the expected status, others, transport errors, latencies. */
    record Load(long ok, long other, long errors, double seconds, Latency latency,
            Map<String, Long> statuses, String sample, CpuMeter.Window window, long warmupOk, long warmupOther) {

        static final Load EMPTY = new Load(0, 0, 0, 0, Latency.EMPTY, Map.of(), null, null, 0, 0);

        double perSecond() {
            return seconds > 0 ? ok / seconds : 0;
        }

        Load withWarmup(Load warm) {
            return new Load(ok, other, errors, seconds, latency, statuses, sample != null ? sample : warm.sample,
                    window, warm.ok, warm.other);
        }

        void put(Line line, String prefix, int expected) {
            ObjectNode json = line.json();
            json.put(prefix + "per_s", Math.round(perSecond()));
            json.put(prefix + "ok", ok);
            json.put(prefix + "non_" + expected, other);
            json.put(prefix + "transport_errors", errors);
            if (!statuses.isEmpty()) {
                ObjectNode s = json.putObject(prefix + "statuses");
                statuses.forEach(s::put);
            }
            line.putNanosAsMs(prefix, latency);
            json.put(prefix + "measured_seconds", Line.round3(seconds));
            if (window != null) {
                window.put(line, prefix);
            }
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

    static String findOnPath(String command) {
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
}
