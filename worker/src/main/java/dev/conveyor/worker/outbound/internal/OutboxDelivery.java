package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PrivateAddresses;
import dev.conveyor.worker.internal.Retry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.URI;
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
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the {@code outbox}: callbacks and notifications of terminal task statuses. Each cycle
 * <ol>
 *   <li>claims up to a batch of due pending rows ({@code FOR UPDATE SKIP LOCKED}, so schedulers
 *       share the work) by pushing their {@code next_attempt_at} a lease ahead, in one statement;</li>
 *   <li>builds each request from the task row as it is now, asks the destination host's circuit
 *       breaker, and sends all requests concurrently, outside any transaction; private
 *       destinations are refused (SSRF rule) by the one name resolution the connection uses
 *       ({@link CheckedDns});</li>
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
    private final CheckedDns dns;
    private final CloseableHttpAsyncClient http;
    private final CircuitBreakerRegistry breakers;
    private final MeterRegistry meters;
    private final byte[] signingKey;
    private final Object sleep = new Object();
    private volatile boolean stopping;

    /**
     * How deliveries reach the network.
     *
     * @param names host name to addresses (DNS in production)
     * @param isPrivate the SSRF rule: addresses refused unless {@code callbacks.allow-private-networks}
     * @param tls the TLS context for https destinations, or null for the JDK's default (system trust store)
     */
    record Network(CheckedDns.Names names, Predicate<InetAddress> isPrivate, SSLContext tls) {
        Network {
            Objects.requireNonNull(names, "names");
            Objects.requireNonNull(isPrivate, "isPrivate");
        }

        static Network system() {
            return new Network(CheckedDns.Names.system(), PrivateAddresses::isPrivate, null);
        }
    }

    /** With the system's DNS, the SSRF rule of {@link PrivateAddresses} and the default trust store. */
    public OutboxDelivery(DSLContext dsl, OutboundSettings settings, Clock clock, MeterRegistry meters) {
        this(dsl, settings, clock, meters, Network.system());
    }

    OutboxDelivery(DSLContext dsl, OutboundSettings settings, Clock clock, MeterRegistry meters, Network network) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.signingKey = settings.callbacks().secret() == null ? null
                : dev.conveyor.worker.outbound.CallbackSettings.signingKey(settings.callbacks().secret());
        this.dns = new CheckedDns(network.names(),
                settings.callbacks().allowPrivateNetworks() ? null : network.isPrivate());
        this.http = client(settings, dns, network.tls());
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

    /**
     * Apache HttpClient 5 (async) rather than the JDK's {@code HttpClient}, because it resolves
     * names through a {@link org.apache.hc.client5.http.DnsResolver} of ours ({@link CheckedDns})
     * and connects to exactly the addresses it returns; the JDK client resolves on its own, after
     * any check of ours. Redirects are not followed (a redirect to a private address would bypass
     * the SSRF rule), nothing is retried behind our back (attempts are counted here), no cookies,
     * no proxy.
     */
    private static CloseableHttpAsyncClient client(OutboundSettings settings, CheckedDns dns, SSLContext tls) {
        Timeout timeout = Timeout.of(settings.tuning().httpTimeout());
        ClientTlsStrategyBuilder tlsStrategy = ClientTlsStrategyBuilder.create();
        if (tls != null) {
            tlsStrategy.setSslContext(tls);
        }
        int connections = Math.max(8, settings.tuning().batchSize());
        CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setDnsResolver(dns)
                        .setTlsStrategy(tlsStrategy.buildAsync())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(timeout)
                                .setSocketTimeout(timeout)
                                .build())
                        .setMaxConnPerRoute(connections)
                        .setMaxConnTotal(connections * 2)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(timeout)
                        .setConnectionRequestTimeout(timeout)
                        .setRedirectsEnabled(false)
                        .build())
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build())
                .setUserAgent("Conveyor")
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableConnectionState()
                .build();
        client.start();
        return client;
    }

    /** The circuit breaker of a destination host (for tests and metrics). */
    public CircuitBreaker breaker(String host) {
        return breakers.circuitBreaker(host.toLowerCase(Locale.ROOT));
    }

    @Override
    public void run() {
        Retry retry = Retry.untilStopped();
        while (!stopping) {
            try {
                int claimed = deliverDue();
                if (claimed < settings.tuning().batchSize()) {
                    pause(settings.tuning().poll().toMillis());
                }
                retry.succeeded();
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                // Not Retry.pauseAfter: close() must be able to cut the pause short.
                long pauseMs = retry.nextPause().toMillis();
                log.warn("Outbox delivery cycle failed ({}); retrying in {} ms", e.getMessage(), pauseMs);
                pause(pauseMs);
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
        // Nothing is in flight once the loop ended (every request of a cycle is awaited or cancelled).
        http.close(CloseMode.IMMEDIATE);
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
        CompletableFuture<Message<HttpResponse, Void>> response;
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
            // A literal address is refused here, before the breaker; a host name when the client
            // resolves it to connect (CheckedDns), so that the checked addresses are the ones used.
            InetAddress literal = PrivateAddresses.literal(host);
            String refusal = literal == null ? null : dns.refusal(host, new InetAddress[] {literal});
            if (refusal != null) {
                a.refused = refusal;
                return a;
            }
            SimpleHttpRequest request = request(row, task, url);
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
            a.response = send(request);
        } catch (RuntimeException e) {
            a.error = message(e);
        }
        return a;
    }

    /** Sends one request; the answer's body is read and dropped. */
    private CompletableFuture<Message<HttpResponse, Void>> send(SimpleHttpRequest request) {
        CompletableFuture<Message<HttpResponse, Void>> response = new CompletableFuture<>();
        http.execute(SimpleRequestProducer.create(request),
                new BasicResponseConsumer<Void>(new DiscardingEntityConsumer<Void>()),
                new FutureCallback<Message<HttpResponse, Void>>() {
                    @Override
                    public void completed(Message<HttpResponse, Void> result) {
                        response.complete(result);
                    }

                    @Override
                    public void failed(Exception e) {
                        response.completeExceptionally(e);
                    }

                    @Override
                    public void cancelled() {
                        response.cancel(false);
                    }
                });
        return response;
    }

    private SimpleHttpRequest request(OutboxRecord row, TasksRecord task, URI url) {
        String webhookId = row.getTaskId() + "." + row.getStatus().wireName();
        byte[] body;
        String method;
        SimpleHttpRequest b;
        if (row.getKind().equals("callback")) {
            body = Json.toBytes(TaskRecords.json(dsl, task));
            method = "POST";
            b = SimpleHttpRequest.create(method, url);
        } else {
            String name = row.getTarget().substring("notification:".length());
            NotificationSettings n = settings.notification(name).orElse(null);
            if (n == null) {
                return null;
            }
            method = n.method();
            body = method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? new byte[0]
                    : Json.toBytes(n.payload().render(TaskRecords.parameters(task)));
            b = SimpleHttpRequest.create(method, url);
            n.headers().forEach(b::setHeader);
        }
        long timestamp = clock.instant().getEpochSecond();
        b.setHeader("User-Agent", "Conveyor");
        b.setHeader("webhook-id", webhookId);
        b.setHeader("webhook-timestamp", Long.toString(timestamp));
        if (signingKey != null) {
            b.setHeader("webhook-signature", Signatures.sign(signingKey, webhookId, timestamp, body));
        }
        if (body.length > 0) {
            b.setBody(body, JSON);
        }
        return b;
    }

    private static final ContentType JSON = ContentType.create("application/json", (java.nio.charset.Charset) null);

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
                Message<HttpResponse, Void> response = a.response.get(settings.tuning().httpTimeout().toMillis() + 5_000,
                        TimeUnit.MILLISECONDS);
                status = response.getHead().getCode();
                if (status / 100 != 2) {
                    error = "HTTP " + status;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted";
            } catch (java.util.concurrent.ExecutionException e) {
                CheckedDns.Refused refused = refusedIn(e.getCause());
                if (refused != null) {
                    // Refused by the SSRF rule when the client resolved the host: nothing was sent.
                    a.breaker.releasePermission();
                    update(row, "failed", row.getAttempts(), null, refused.getMessage(), row.getNextAttemptAt(), null);
                    failed(kind, row, refused.getMessage());
                    return;
                }
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

    private static CheckedDns.Refused refusedIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CheckedDns.Refused r) {
                return r;
            }
        }
        return null;
    }

    private static String truncate(String s) {
        return s == null || s.length() <= MAX_ERROR_LENGTH ? s : s.substring(0, MAX_ERROR_LENGTH);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
