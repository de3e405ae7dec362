package dev.conveyor.worker.outbound.internal;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;

/**
 * What became of one claimed row when its request was started: sent (then {@code breaker} and
 * {@code response} are set), refused for good, postponed without using an attempt, or failed before
 * sending ({@code error}). Built only through the factories, so exactly one of these holds.
 */
record DeliveryAttempt(OutboxRecord row, Instant startedAt, CircuitBreaker breaker,
        CompletableFuture<Message<HttpResponse, Void>> response, String refused, String postponed,
        Duration postponeFor, String error) {

    DeliveryAttempt {
        Objects.requireNonNull(row, "row");
        Objects.requireNonNull(startedAt, "startedAt");
    }

    static DeliveryAttempt sent(OutboxRecord row, Instant at, CircuitBreaker breaker,
            CompletableFuture<Message<HttpResponse, Void>> response) {
        return new DeliveryAttempt(row, at, Objects.requireNonNull(breaker, "breaker"),
                Objects.requireNonNull(response, "response"), null, null, null, null);
    }

    /** Never to be sent (SSRF rule, task gone, notification no longer configured): failed at once. */
    static DeliveryAttempt refused(OutboxRecord row, Instant at, String why) {
        return new DeliveryAttempt(row, at, null, null, Objects.requireNonNull(why, "why"), null, null, null);
    }

    /** Not sent because the host's breaker refused; tried again after {@code postponeFor}. */
    static DeliveryAttempt postponed(OutboxRecord row, Instant at, String why, Duration postponeFor) {
        return new DeliveryAttempt(row, at, null, null, null, Objects.requireNonNull(why, "why"),
                Objects.requireNonNull(postponeFor, "postponeFor"), null);
    }

    /** Could not be started (bad URL, unreadable task): counts as a failed attempt. */
    static DeliveryAttempt failed(OutboxRecord row, Instant at, String error) {
        return new DeliveryAttempt(row, at, null, null, null, null, null, Objects.requireNonNull(error, "error"));
    }

    /** Whether a request went out. */
    boolean wasSent() {
        return response != null;
    }
}
