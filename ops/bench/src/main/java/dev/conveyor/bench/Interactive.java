package dev.conveyor.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * W6: a worker with an {@link InteractiveExtension} answering 200 at once; {@code POST
 * /v1/interactive/{topic}} sent open-loop at R requests/s for S seconds (each request on its own
 * virtual thread at its scheduled time, never waiting for the previous one) after a warm-up at the
 * same rate; the round trip of every request, split at the moment the extension saw it (the body
 * carries the request's sequence number).
 */
public final class Interactive implements Workload {

    /** Target: round trip p99 at most this many milliseconds. */
    public static final double TARGET_P99_MS = 20;

    /** When the extension saw each request of the current run (by sequence number), or null. */
    private volatile AtomicLongArray handleMarks;

    @Override
    public WorkloadId id() {
        return WorkloadId.W6;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        BenchSettings s = ctx.settings();
        Line line = new Line(id(), "interactive round trip");
        line.put("rate", s.w6Rate()).put("seconds", s.httpSeconds()).put("warmup_seconds", s.httpWarmupSeconds())
                .put("client", "java-httpclient, HTTP/1.1, open-loop: "
                        + "a virtual thread per request at its scheduled time");
        String topic = ctx.infra().name("w6");
        try (IngressRig ingress = IngressRig.start(ctx, "w6", topic, 1)) {
            measure(ctx, ingress, topic, line);
        }
        return line;
    }

    private void measure(BenchContext ctx, IngressRig ingress, String topic, Line line) throws Exception {
        BenchSettings s = ctx.settings();
        URI uri = ingress.uri("/v1/interactive/" + topic);
        AtomicLong handled = new AtomicLong();
        InteractiveExtension extension = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public String name() {
                return "bench-interactive";
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
        WorkerConfig config = ctx.worker("bench-w6", ingress.prefix()).build();
        ctx.progress().say("W6: starting the worker");
        long t = System.nanoTime();
        Worker worker = ctx.startWorker(config, ingress.schema().db(), extension);
        line.put("endpoint", "POST /v1/interactive/{topic}");
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            line.put("worker_assigned_after_seconds", Progress.secondsSince(t));
            HttpRequest request = interactiveRequest(uri, -1);
            // First answer: the worker's first poll and the ingress's reply listener are ready.
            long primeStart = System.nanoTime();
            int primeStatus = 0;
            while (Progress.secondsSince(primeStart) < 30) {
                primeStatus = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (primeStatus == 200) {
                    break;
                }
                Thread.sleep(200);
            }
            line.put("first_answer_after_seconds", Progress.secondsSince(primeStart));
            if (primeStatus != 200) {
                line.fail("no 200 from " + uri + " within 30 s (last status " + primeStatus + ")");
                return;
            }
            int primes = handled.intValue();
            OpenLoop warm = s.httpWarmupSeconds() > 0
                    ? openLoop(ctx.progress(), s.w6Rate(), "W6 warm-up", client, uri, s.httpWarmupSeconds()) : null;
            OpenLoop run = openLoop(ctx.progress(), s.w6Rate(), "W6", client, uri, s.httpSeconds());
            run.put(line);
            if (warm != null) {
                line.put("warmup_non_200", warm.non200).put("warmup_errors", warm.errors + warm.unanswered);
            }
            boolean clean = run.non200 == 0 && run.errors == 0 && run.unanswered == 0;
            line.target("rtt_p99_ms <= " + TARGET_P99_MS, clean && Latency.ms(run.latency.p99()) <= TARGET_P99_MS);
            // One extension call per request sent (priming, warm-up, measured): no more, no fewer.
            long sent = primes + (warm == null ? 0 : warm.requests) + run.requests;
            line.put("extension_calls_total", handled.get()).put("requests_total", sent);
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
                errors.add(run.unanswered + " requests had no answer "
                        + IngressRig.INTERACTIVE_TIMEOUT.plusSeconds(20).toSeconds() + " s after the last was sent");
            }
            if (!errors.isEmpty()) {
                line.fail(String.join("; ", errors));
            }
        } finally {
            long closeStart = System.nanoTime();
            worker.close();
            line.put("worker_close_seconds", Progress.secondsSince(closeStart));
        }
    }


    /**
     * The W5 body with its {@code n} field set to the request's sequence number (so the extension can
     * note when request {@code seq} reached it); -1 for none.
     */
    private static HttpRequest interactiveRequest(URI uri, int seq) {
        String body = Payload.json(seq);
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .timeout(IngressRig.INTERACTIVE_TIMEOUT.plusSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    record OpenLoop(int requests, double achievedRate, Latency latency, Latency fromSchedule,
            double maxStartLagMs, long ok, long non200, long errors, long unanswered, Map<String, Long> statuses,
            String sample, CpuMeter.Window window, Latency toExtension, Latency fromExtension) {

        void put(Line line) {
            ObjectNode json = line.json();
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
            json.put("rtt_p50_ms", Latency.ms(latency.p50()));
            json.put("rtt_p95_ms", Latency.ms(latency.p95()));
            json.put("rtt_p99_ms", Latency.ms(latency.p99()));
            json.put("rtt_max_ms", Latency.ms(latency.max()));
            json.put("samples", latency.samples());
            json.put("rtt_p99_from_schedule_ms", Latency.ms(fromSchedule.p99()));
            json.put("max_start_lag_ms", Line.round3(maxStartLagMs));
            if (toExtension.samples() > 0) {
                json.put("send_to_extension_p50_ms", Latency.ms(toExtension.p50()));
                json.put("send_to_extension_p99_ms", Latency.ms(toExtension.p99()));
                json.put("extension_to_answer_p50_ms", Latency.ms(fromExtension.p50()));
                json.put("extension_to_answer_p99_ms", Latency.ms(fromExtension.p99()));
            }
            window.put(line, "");
        }
    }

    /**
     * Sends {@code rate * seconds} requests, request i due at start + i/rate, each on its own virtual
     * thread started at its due time (so a slow answer never delays the next send); latency is timed
     * from just before the send. Waits for every answer (up to the interactive timeout and more).
     */
    private OpenLoop openLoop(Progress progress, int rate, String name, HttpClient client, URI uri, int seconds)
            throws Exception {
        int n = (int) Math.max(1, (long) rate * seconds);
        progress.say(name + ": " + n + " requests at " + rate + "/s");
        long interval = 1_000_000_000L / rate;
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
        CpuMeter meter = CpuMeter.start();
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
        boolean all = done.await(IngressRig.INTERACTIVE_TIMEOUT.plusSeconds(20).toSeconds(), TimeUnit.SECONDS);
        CpuMeter.Window window = meter.stop();
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
        OpenLoop result = new OpenLoop(n, achieved, Latency.of(sorted), Latency.of(sortedSchedule), maxLag, ok,
                non200, errorCount, unanswered, statuses, sample.get(), window, Latency.of(to),
                Latency.of(from));
        progress.say(name + ": p50 " + Latency.ms(result.latency.p50()) + " ms, p99 " + Latency.ms(result.latency.p99())
                + " ms, max " + Latency.ms(result.latency.max()) + " ms, " + non200 + " non-200, " + errorCount
                + " errors, " + unanswered
                + " unanswered");
        return result;
    }}
