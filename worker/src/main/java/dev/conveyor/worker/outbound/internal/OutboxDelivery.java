package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.schema.db.jooq.Tables.OUTBOX;

import dev.conveyor.schema.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.schema.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PrivateAddresses;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the {@code outbox}: callbacks and notifications of terminal task statuses. Each cycle
 * <ol>
 *   <li>claims up to a batch of due pending rows ({@code FOR UPDATE SKIP LOCKED}, so schedulers
 *       share the work) by pushing their {@code next_attempt_at} a lease ahead, in one statement;</li>
 *   <li>builds each request from the task row as it is now, refuses private destinations
 *       (SSRF rule), asks the destination host's circuit breaker, and sends all requests
 *       concurrently, outside any transaction;</li>
 *   <li>records each outcome: delivered on 2xx; otherwise another attempt after the backoff, or
 *       failed once {@code callbacks.max-attempts} attempts were made. Rows for a host whose
 *       breaker is open are postponed without using an attempt.</li>
 * </ol>
 * A scheduler that dies between claim and outcome leaves its rows to be claimed again when the
 * lease ends, so a receiver may get a delivery twice (it dedupes by {@code webhook-id}), never zero times.
 */
public final class OutboxDelivery implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxDelivery.class);
    private static final int MAX_ERROR_LENGTH = 500;

    private final DSLContext dsl;
    private final OutboundSettings settings;
    private final Clock clock;
    private final Function<String, InetAddress[]> resolver;
    private final HttpClient http;
    private final CircuitBreakerRegistry breakers;
    private final MeterRegistry meters;
    private final byte[] signingKey;
    private final Object sleep = new Object();
    private volatile boolean stopping;

    /**
     * @param resolver host name to addresses (DNS in production); used by the SSRF rule
     */
    public OutboxDelivery(DSLContext dsl, OutboundSettings settings, Clock clock, MeterRegistry meters,
            Function<String, InetAddress[]> resolver) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.signingKey = settings.callbacks().secret() == null ? null
                : dev.conveyor.worker.outbound.CallbackSettings.signingKey(settings.callbacks().secret());
        // Redirects are not followed: a redirect to a private address would bypass the SSRF rule.
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.tuning().httpTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        var b = settings.tuning().breaker();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(b.window())
                .failureRateThreshold(b.failureRate())
                .waitDurationInOpenState(b.openFor())
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    /** With DNS resolution. */
    public OutboxDelivery(DSLContext dsl, OutboundSettings settings, Clock clock, MeterRegistry meters) {
        this(dsl, settings, clock, meters, OutboxDelivery::resolve);
    }

    private static InetAddress[] resolve(String host) {
        try {
            return InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve " + host + ": " + e.getMessage(), e);
        }
    }

    /** The circuit breaker of a destination host (for tests and metrics). */
    public CircuitBreaker breaker(String host) {
        return breakers.circuitBreaker(host.toLowerCase(Locale.ROOT));
    }

    @Override
    public void run() {
        long errorDelayMs = 100;
        while (!stopping) {
            try {
                int claimed = deliverDue();
                if (claimed < settings.tuning().batchSize()) {
                    pause(settings.tuning().poll().toMillis());
                }
                errorDelayMs = 100;
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                log.warn("Outbox delivery cycle failed ({}); retrying in {} ms", e.getMessage(), errorDelayMs);
                pause(errorDelayMs);
                errorDelayMs = Math.min(5_000, errorDelayMs * 2);
            }
        }
    }

    private void pause(long ms) {
        synchronized (sleep) {
            if (stopping || ms <= 0) {
                return;
            }
            try {
                sleep.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopping = true;
            }
        }
    }

    /** Stops the loop after its current cycle. */
    @Override
    public void close() {
        stopping = true;
        synchronized (sleep) {
            sleep.notifyAll();
        }
    }

    /** Closes the HTTP client; call after the loop's thread ended. */
    public void release() {
        http.close();
    }

    /** One cycle: claims, sends and records a batch of due rows; returns how many rows were claimed. */
    public int deliverDue() {
        Instant now = clock.instant();
        List<OutboxRecord> due = claim(now);
        if (due.isEmpty()) {
            return 0;
        }
        List<Attempt> attempts = new ArrayList<>(due.size());
        for (OutboxRecord row : due) {
            attempts.add(start(row, now));
        }
        for (Attempt a : attempts) {
            record(a);
        }
        return due.size();
    }

    private List<OutboxRecord> claim(Instant now) {
        return dsl.update(OUTBOX)
                .set(OUTBOX.NEXT_ATTEMPT_AT, now.plus(settings.tuning().lease()))
                .set(OUTBOX.UPDATED_AT, now)
                .where(OUTBOX.ID.in(dsl.select(OUTBOX.ID).from(OUTBOX)
                        .where(OUTBOX.STATE.eq("pending"))
                        .and(OUTBOX.NEXT_ATTEMPT_AT.le(now))
                        .orderBy(OUTBOX.NEXT_ATTEMPT_AT)
                        .limit(settings.tuning().batchSize())
                        .forUpdate()
                        .skipLocked()))
                .returning()
                .fetch();
    }

    /** What became of one claimed row; {@code response} is null unless a request was sent. */
    private static final class Attempt {
        final OutboxRecord row;
        final Instant startedAt;
        CircuitBreaker breaker;
        CompletableFuture<HttpResponse<Void>> response;
        String refused;
        String postponed;
        Duration postponeFor;
        String error;

        Attempt(OutboxRecord row, Instant startedAt) {
            this.row = row;
            this.startedAt = startedAt;
        }
    }

    private Attempt start(OutboxRecord row, Instant now) {
        Attempt a = new Attempt(row, now);
        try {
            TasksRecord task = TaskRecords.row(dsl, row.getTaskId());
            if (task == null) {
                a.refused = "task " + row.getTaskId() + " no longer exists";
                return a;
            }
            URI url = URI.create(row.getUrl());
            String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
            String refusal = ssrfRefusal(host);
            if (refusal != null) {
                a.refused = refusal;
                return a;
            }
            HttpRequest request = request(row, task, url);
            if (request == null) {
                a.refused = "notification " + row.getTarget().substring("notification:".length())
                        + " is no longer configured";
                return a;
            }
            CircuitBreaker breaker = breaker(host);
            if (!breaker.tryAcquirePermission()) {
                a.postponed = "postponed: circuit open for " + host;
                a.postponeFor = breaker.getState() == CircuitBreaker.State.OPEN ? settings.tuning().breaker().openFor()
                        : settings.tuning().poll();
                return a;
            }
            a.breaker = breaker;
            a.response = http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            a.error = message(e);
        }
        return a;
    }

    /** Null when {@code host} may be called; else why not ({@code refused: private address ...}). */
    private String ssrfRefusal(String host) {
        if (settings.callbacks().allowPrivateNetworks()) {
            return null;
        }
        InetAddress literal = PrivateAddresses.literal(host);
        InetAddress[] addresses = literal != null ? new InetAddress[] {literal} : resolver.apply(host);
        for (InetAddress address : addresses) {
            if (PrivateAddresses.isPrivate(address)) {
                return "refused: private address " + address.getHostAddress() + " (" + host
                        + "); set callbacks.allow-private-networks: true to allow it";
            }
        }
        return null;
    }

    private HttpRequest request(OutboxRecord row, TasksRecord task, URI url) {
        String webhookId = row.getTaskId() + "." + row.getStatus().wireName();
        byte[] body;
        String method;
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(settings.tuning().httpTimeout());
        if (row.getKind().equals("callback")) {
            body = Json.toBytes(TaskRecords.json(dsl, task));
            method = "POST";
        } else {
            String name = row.getTarget().substring("notification:".length());
            NotificationSettings n = settings.notification(name).orElse(null);
            if (n == null) {
                return null;
            }
            method = n.method();
            body = method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? new byte[0]
                    : Json.toBytes(n.payload().render(TaskRecords.parameters(task)));
            n.headers().forEach(b::header);
        }
        long timestamp = clock.instant().getEpochSecond();
        b.header("User-Agent", "Conveyor")
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp));
        if (signingKey != null) {
            b.header("webhook-signature", Signatures.sign(signingKey, webhookId, timestamp, body));
        }
        if (body.length > 0) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private void record(Attempt a) {
        OutboxRecord row = a.row;
        String kind = row.getKind();
        if (a.postponed != null) {
            // Not an attempt: the request was never sent, so attempts and last_status stay as they were.
            dsl.update(OUTBOX)
                    .set(OUTBOX.NEXT_ATTEMPT_AT, clock.instant().plus(a.postponeFor))
                    .set(OUTBOX.LAST_ERROR, a.postponed)
                    .set(OUTBOX.UPDATED_AT, clock.instant())
                    .where(OUTBOX.ID.eq(row.getId())).and(OUTBOX.STATE.eq("pending"))
                    .and(OUTBOX.ATTEMPTS.eq(row.getAttempts()))
                    .execute();
            return;
        }
        if (a.refused != null) {
            update(row, "failed", row.getAttempts(), null, a.refused, row.getNextAttemptAt(), null);
            failed(kind, row, a.refused);
            return;
        }
        Integer status = null;
        String error = a.error;
        if (a.response != null) {
            try {
                HttpResponse<Void> response = a.response.get(settings.tuning().httpTimeout().toMillis() + 5_000,
                        TimeUnit.MILLISECONDS);
                status = response.statusCode();
                if (status / 100 != 2) {
                    error = "HTTP " + status;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted";
            } catch (java.util.concurrent.ExecutionException e) {
                error = message(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                a.response.cancel(true);
                error = "timed out";
            }
            long took = Duration.between(a.startedAt, clock.instant()).toNanos();
            boolean receiverUnwell = status == null || status >= 500 || status == 429;
            if (receiverUnwell) {
                a.breaker.onError(took, TimeUnit.NANOSECONDS, new RuntimeException(error));
            } else {
                a.breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            }
        }
        int attempts = row.getAttempts() + 1;
        Instant now = clock.instant();
        if (error == null) {
            update(row, "delivered", attempts, status, null, now, now);
            Counter.builder("conveyor.outbound.delivered").description("Outbound deliveries answered with 2xx")
                    .tag("kind", kind).register(meters).increment();
        } else if (attempts >= settings.callbacks().maxAttempts()) {
            update(row, "failed", attempts, status, error, now, null);
            failed(kind, row, error + " (after " + attempts + " attempts)");
        } else {
            Duration delay = settings.tuning().backoff().delay(attempts, ThreadLocalRandom.current().nextDouble());
            update(row, "pending", attempts, status, error, now.plus(delay), null);
        }
    }

    private void failed(String kind, OutboxRecord row, String why) {
        Counter.builder("conveyor.outbound.failed").description("Outbound deliveries given up (max attempts, refused)")
                .tag("kind", kind).register(meters).increment();
        log.warn("Outbound {} of task {} ({}) to {} failed for good: {}", row.getTarget(), row.getTaskId(),
                row.getStatus().wireName(), row.getUrl(), why);
    }

    /** Writes an outcome, guarded so a row re-claimed by another scheduler after our lease is not overwritten twice. */
    private void update(OutboxRecord row, String state, int attempts, Integer status, String error, Instant next,
            Instant deliveredAt) {
        dsl.update(OUTBOX)
                .set(OUTBOX.STATE, state)
                .set(OUTBOX.ATTEMPTS, attempts)
                .set(OUTBOX.NEXT_ATTEMPT_AT, next)
                .set(OUTBOX.LAST_STATUS, status)
                .set(OUTBOX.LAST_ERROR, truncate(error))
                .set(OUTBOX.UPDATED_AT, clock.instant())
                .set(OUTBOX.DELIVERED_AT, deliveredAt)
                .where(OUTBOX.ID.eq(row.getId()))
                .and(OUTBOX.STATE.eq("pending"))
                .and(OUTBOX.ATTEMPTS.eq(row.getAttempts()))
                .execute();
    }

    private static String truncate(String s) {
        return s == null || s.length() <= MAX_ERROR_LENGTH ? s : s.substring(0, MAX_ERROR_LENGTH);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
