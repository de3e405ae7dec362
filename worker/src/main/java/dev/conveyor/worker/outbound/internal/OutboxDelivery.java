package dev.conveyor.worker.outbound.internal;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.internal.Retry;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PrivateAddresses;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the {@code outbox}: callbacks and notifications of terminal task statuses. Each cycle
 * <ol>
 *   <li>claims up to a batch of due pending rows ({@link OutboxLease});</li>
 *   <li>builds each request from the task row as it is now ({@link SignedRequests}), asks the
 *       destination host's circuit breaker ({@link HostBreakers}), and sends all requests
 *       concurrently, outside any transaction ({@link DeliveryClient}); private destinations are
 *       refused (SSRF rule) by the one name resolution the connection uses ({@link CheckedDns});</li>
 *   <li>records each outcome ({@link OutboxOutcomes}).</li>
 * </ol>
 * A scheduler that dies between claim and outcome leaves its rows to be claimed again when the
 * lease ends, so a receiver may get a delivery twice (it dedupes by {@code webhook-id}), never zero times.
 */
public final class OutboxDelivery implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxDelivery.class);

    private final DSLContext dsl;
    private final OutboundSettings.Tuning tuning;
    private final Clock clock;
    private final CheckedDns dns;
    private final OutboxLease lease;
    private final SignedRequests requests;
    private final HostBreakers breakers;
    private final DeliveryClient http;
    private final OutboxOutcomes outcomes;
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
        this.tuning = Objects.requireNonNull(settings, "settings").tuning();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.outcomes = new OutboxOutcomes(dsl, settings, clock, meters);
        this.lease = new OutboxLease(dsl, tuning);
        this.requests = new SignedRequests(settings, clock);
        this.breakers = new HostBreakers(tuning);
        this.dns = new CheckedDns(network.names(),
                settings.callbacks().allowPrivateNetworks() ? null : network.isPrivate());
        this.http = DeliveryClient.start(tuning, dns, network.tls());
    }

    /** The circuit breaker of a destination host (for tests and metrics). */
    public CircuitBreaker breaker(String host) {
        return breakers.of(host);
    }

    @Override
    public void run() {
        Retry retry = Retry.untilStopped();
        while (!stopping) {
            try {
                int claimed = deliverDue();
                if (claimed < tuning.batchSize()) {
                    pause(tuning.poll().toMillis());
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
        http.close();
    }

    /** One cycle: claims, sends and records a batch of due rows; returns how many rows were claimed. */
    public int deliverDue() {
        Instant now = clock.instant();
        List<OutboxRecord> due = lease.claim(now);
        if (due.isEmpty()) {
            return 0;
        }
        List<DeliveryAttempt> attempts = new ArrayList<>(due.size());
        for (OutboxRecord row : due) {
            attempts.add(start(row, now));
        }
        for (DeliveryAttempt a : attempts) {
            outcomes.record(a);
        }
        return due.size();
    }

    /** Starts the request of one row without waiting for its answer, or says why it is not sent. */
    private DeliveryAttempt start(OutboxRecord row, Instant now) {
        try {
            TasksRecord task = TaskRecords.row(dsl, row.getTaskId());
            if (task == null) {
                return new DeliveryAttempt.Refused(row, "task " + row.getTaskId() + " no longer exists");
            }
            URI url = URI.create(row.getUrl());
            String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
            // A literal address is refused here, before the breaker; a host name when the client
            // resolves it to connect (CheckedDns), so that the checked addresses are the ones used.
            InetAddress literal = PrivateAddresses.literal(host);
            String refusal = literal == null ? null : dns.refusal(host, new InetAddress[] {literal});
            if (refusal != null) {
                return new DeliveryAttempt.Refused(row, refusal);
            }
            SimpleHttpRequest request = requests.build(row, task, url, () -> Json.toBytes(TaskRecords.json(dsl, task)));
            if (request == null) {
                return new DeliveryAttempt.Refused(row, "notification " + SignedRequests.notificationName(row)
                        + " is no longer configured");
            }
            CircuitBreaker breaker = breakers.of(host);
            if (!breaker.tryAcquirePermission()) {
                return new DeliveryAttempt.Postponed(row, "postponed: circuit open for " + host,
                        breakers.postponeFor(breaker));
            }
            return new DeliveryAttempt.Sent(row, now, breaker, http.send(request));
        } catch (RuntimeException e) {
            return new DeliveryAttempt.Unstarted(row, SentAnswer.message(e));
        }
    }
}
