package dev.conveyor.worker.outbound.internal;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;

/** What became of one claimed row when its request was started; {@link OutboxOutcomes} records it. */
sealed interface DeliveryAttempt {

    /** The claimed row, as it was when claimed (its attempt count guards the outcome's write). */
    OutboxRecord row();

    /** Sent at {@code startedAt}; the answer is awaited when the outcome is recorded. */
    record Sent(OutboxRecord row, Instant startedAt, CircuitBreaker breaker,
            CompletableFuture<Message<HttpResponse, Void>> response) implements DeliveryAttempt {
        public Sent {
            Objects.requireNonNull(row, "row");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(breaker, "breaker");
            Objects.requireNonNull(response, "response");
        }
    }

    /** Never to be sent (SSRF rule, task gone, notification no longer configured): failed at once. */
    record Refused(OutboxRecord row, String why) implements DeliveryAttempt {
        public Refused {
            Objects.requireNonNull(row, "row");
            Objects.requireNonNull(why, "why");
        }
    }

    /** Not sent because the host's breaker refused; tried again after {@code postponeFor}, no attempt used. */
    record Postponed(OutboxRecord row, String why, Duration postponeFor) implements DeliveryAttempt {
        public Postponed {
            Objects.requireNonNull(row, "row");
            Objects.requireNonNull(why, "why");
            Objects.requireNonNull(postponeFor, "postponeFor");
        }
    }

    /** Could not be started (bad URL, unreadable task): counts as a failed attempt. */
    record Unstarted(OutboxRecord row, String error) implements DeliveryAttempt {
        public Unstarted {
            Objects.requireNonNull(row, "row");
            Objects.requireNonNull(error, "error");
        }
    }
}
