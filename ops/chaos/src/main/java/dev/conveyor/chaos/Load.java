package dev.conveyor.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.chaos.extension.ChaosEcho;
import dev.conveyor.chaos.extension.ChaosTasks;
import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load: background events over HTTP to both ingress nodes (some future-dated, some with a
 * callback URL, each with an Idempotency-Key that a retry after a 503 or a timeout reuses), interactive
 * requests, and events from the Java {@link Publisher} (a failed publish is retried with the same task
 * id). Every request is decided by one thread from the run's seed; each runs on its own virtual thread.
 */
final class Load implements AutoCloseable {

    /** How long a client keeps retrying one event before it gives up (and records it as unresolved). */
    private static final Duration GIVE_UP = Duration.ofSeconds(90);
    /**
     * Requests a client has open at once, as a real client's connection pool bounds them: when they are
     * all taken (the system is down and every request retries), new events are not sent but counted
     * ({@code *_backpressure} in {@code client_other}), instead of piling up thousands of retrying requests.
     */
    private static final int HTTP_IN_FLIGHT = 200;
    private static final int PUBLISHER_IN_FLIGHT = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> ingress;
    private final Publisher publisher;
    private final String callbackUrl;
    private final ClientRecords records;
    private final Random random;
    private final double eventsPerSecond;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong sequence = new AtomicLong();
    private final java.util.concurrent.Semaphore httpSlots = new java.util.concurrent.Semaphore(HTTP_IN_FLIGHT);
    private final java.util.concurrent.Semaphore publisherSlots = new java.util.concurrent.Semaphore(PUBLISHER_IN_FLIGHT);
    private volatile boolean running = true;
    private Thread driver;

    Load(List<String> ingressBaseUrls, String bootstrap, String callbackUrl, ClientRecords records, long seed,
            double eventsPerSecond) {
        this.ingress = List.copyOf(ingressBaseUrls);
        this.publisher = Publisher.connect(bootstrap);
        this.callbackUrl = callbackUrl;
        this.records = records;
        this.random = new Random(seed);
        this.eventsPerSecond = eventsPerSecond;
    }

    void start() {
        driver = Thread.ofPlatform().name("chaos-load").start(this::drive);
    }

    /** Stops sending new requests and waits (bounded) for the ones in flight to settle. */
    void stop(Duration wait) throws InterruptedException {
        running = false;
        if (driver != null) {
            driver.join();
        }
        requests.shutdown();
        requests.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        publisher.flush();
    }

    private void drive() {
        long started = System.nanoTime();
        long sent = 0;
        while (running) {
            long due = (long) ((System.nanoTime() - started) / 1e9 * eventsPerSecond);
            while (sent < due && running) {
                sent++;
                submitOne();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Mix: 60 % HTTP background events, 10 % interactive requests, 30 % publisher events. */
    private void submitOne() {
        long n = sequence.incrementAndGet();
        int pick = random.nextInt(100);
        String node = ingress.get((int) (n % ingress.size()));
        if (pick < 60) {
            Event e = event("h" + n);
            submit(httpSlots, "http", () -> postEvent(node, e));
        } else if (pick < 70) {
            String ref = "i" + n;
            long a = random.nextInt(1000);
            long b = random.nextInt(1000);
            submit(httpSlots, "interactive", () -> interactive(node, ref, a, b));
        } else {
            Event e = event("p" + n);
            submit(publisherSlots, "publisher", () -> publish(e));
        }
    }

    private void submit(java.util.concurrent.Semaphore slots, String channel, Runnable request) {
        if (!slots.tryAcquire()) {
            records.count(channel + "_backpressure");
            return;
        }
        requests.submit(() -> {
            try {
                request.run();
            } finally {
                slots.release();
            }
        });
    }

    /** Exponential backoff with jitter, 0.5 s doubling to 8 s, at least what Retry-After asked for (at most 10 s). */
    private long backoff(int tries, long retryAfterSeconds) {
        long base = Math.min(8000, 500L << Math.min(4, tries - 1));
        long jittered = base / 2 + (long) (Math.random() * base / 2);
        return Math.max(jittered, Math.min(10, retryAfterSeconds) * 1000);
    }

    /** One background event as decided by the driver thread. */
    private record Event(String ref, String mode, String payload, boolean callback, int scheduleInSeconds) {
        String expected() {
            return mode.equals("fail") ? "failed" : "done";
        }
    }

    private Event event(String ref) {
        int m = random.nextInt(100);
        String mode = m < 45 ? "done" : m < 55 ? "slow" : m < 70 ? "reschedule_once" : m < 85 ? "throw_once" : "fail";
        int ms = 2000 + random.nextInt(3000);
        String payload = "{\"mode\":\"" + mode + "\",\"ref\":\"" + ref + "\",\"ms\":" + ms + "}";
        boolean callback = random.nextInt(100) < 25;
        int scheduleIn = random.nextInt(100) < 10 ? 2 + random.nextInt(5) : 0;
        return new Event(ref, mode, payload, callback, scheduleIn);
    }

    private void postEvent(String firstNode, Event e) {
        String key = "chaos-" + e.ref();
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        int ambiguous = 0;
        int tries = 0;
        while (System.nanoTime() < deadline) {
            String node = ingress.get((ingress.indexOf(firstNode) + tries) % ingress.size());
            tries++;
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + "/v1/events/" + ChaosTasks.TOPIC))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(e.payload()));
            if (e.callback()) {
                b.header("X-Callback-Url", callbackUrl);
            }
            if (e.scheduleInSeconds() > 0) {
                b.header("X-Schedule-In", Integer.toString(e.scheduleInSeconds()));
            }
            long retryAfter = 0;
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                int status = r.statusCode();
                retryAfter = r.headers().firstValueAsLong("Retry-After").orElse(0);
                if (status == 202) {
                    UUID id = UUID.fromString(JSON.readTree(r.body()).path("id").asText());
                    records.accepted(new ClientRecords.Accepted(e.ref(), id, "http", e.mode(), e.expected(), e.callback(),
                            System.currentTimeMillis(), key, ambiguous));
                    return;
                }
                if (status >= 500) {
                    // 503 says nothing was enqueued, but the client cannot know it for sure; any 5xx is retried.
                    ambiguous++;
                    records.ambiguous(new ClientRecords.Ambiguous(e.ref(), "http", Integer.toString(status),
                            System.currentTimeMillis(), key, null));
                } else if (status == 409 || status == 429) {
                    records.count("http_" + status + "_retried"); // key in progress / too many requests: retry
                } else {
                    records.count("http_" + status);
                    records.sample("http_" + status, node + " " + r.body());
                    return; // any other 4xx is a refusal: nothing enqueued, nothing to retry
                }
            } catch (HttpConnectTimeoutException | ConnectException refused) {
                records.count("http_refused"); // nothing was sent: not ambiguous
            } catch (HttpTimeoutException timeout) {
                ambiguous++;
                records.ambiguous(new ClientRecords.Ambiguous(e.ref(), "http", "timeout", System.currentTimeMillis(), key,
                        null));
            } catch (IOException lost) {
                ambiguous++;
                records.ambiguous(new ClientRecords.Ambiguous(e.ref(), "http", "connection_lost",
                        System.currentTimeMillis(), key, null));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
            pause(backoff(tries, retryAfter));
        }
        records.count("http_gave_up");
        records.ambiguous(new ClientRecords.Ambiguous(e.ref(), "http", "gave_up", System.currentTimeMillis(), key, null));
    }

    private void interactive(String node, String ref, long a, long b) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(node + "/v1/interactive/" + ChaosEcho.TOPIC))
                .timeout(Duration.ofSeconds(40)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"" + ref + "\",\"a\":" + a + ",\"b\":" + b + "}"))
                .build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            String taskId = r.headers().firstValue("X-Conveyor-Task-Id").orElse(null);
            if (r.statusCode() == 200 && taskId != null) {
                JsonNode body = JSON.readTree(r.body());
                if (!body.path("ref").asText().equals(ref) || body.path("sum").asLong() != a + b) {
                    records.count("interactive_wrong_body");
                }
                records.accepted(new ClientRecords.Accepted(ref, UUID.fromString(taskId), "interactive", "interactive",
                        "done", false, System.currentTimeMillis(), null, 0));
            } else if (r.statusCode() == 503 || r.statusCode() == 504) {
                UUID id = r.statusCode() == 504 ? idIn(r.body()) : null;
                records.ambiguous(new ClientRecords.Ambiguous(ref, "interactive", Integer.toString(r.statusCode()),
                        System.currentTimeMillis(), null, id));
            } else {
                records.count("interactive_" + r.statusCode());
                records.sample("interactive_" + r.statusCode(), node + " " + r.body());
            }
        } catch (HttpConnectTimeoutException | ConnectException refused) {
            records.count("interactive_refused");
        } catch (IOException lost) {
            records.ambiguous(new ClientRecords.Ambiguous(ref, "interactive", lost instanceof HttpTimeoutException
                    ? "timeout" : "connection_lost", System.currentTimeMillis(), null, null));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private static UUID idIn(String body) {
        var m = java.util.regex.Pattern.compile("task ([0-9a-f-]{36})").matcher(body);
        return m.find() ? UUID.fromString(m.group(1)) : null;
    }

    /** Publishes with a fixed task id, so a retry after a failed send is the same task, not a second one. */
    private void publish(Event e) {
        UUID id = UUID.randomUUID();
        PublishOptions.Builder o = PublishOptions.builder().id(id).contentType("application/json");
        if (e.callback()) {
            o.callbackUrl(callbackUrl);
        }
        if (e.scheduleInSeconds() > 0) {
            o.scheduleIn(Duration.ofSeconds(e.scheduleInSeconds()));
        }
        PublishOptions options = o.build();
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        int ambiguous = 0;
        int tries = 0;
        while (System.nanoTime() < deadline) {
            tries++;
            try {
                UUID acked = publisher.publish(ChaosTasks.TOPIC, e.payload(), options).get(60, TimeUnit.SECONDS);
                records.accepted(new ClientRecords.Accepted(e.ref(), acked, "publisher", e.mode(), e.expected(),
                        e.callback(), System.currentTimeMillis(), null, ambiguous));
                return;
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception failed) {
                ambiguous++;
                records.ambiguous(new ClientRecords.Ambiguous(e.ref(), "publisher", failed.getClass().getSimpleName(),
                        System.currentTimeMillis(), null, id));
                pause(backoff(tries, 0));
            }
        }
        records.count("publisher_gave_up");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        requests.shutdownNow();
        publisher.close();
        http.close();
    }
}
