package dev.conveyor.worker.outbound;

import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.OutboxRouting;
import dev.conveyor.worker.CircuitBreakerSettings;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything about outbound deliveries: {@code callbacks:} and {@code notifications:} of
 * {@code conveyor.yaml}, plus the delivery loop's tuning. The worker uses it as the
 * {@link OutboxRouting} of its status writes (which terminal changes get outbox rows); the
 * scheduler delivers the rows with it.
 *
 * @param callbacks signing secret, max attempts, SSRF rule
 * @param notifications configured notifications, names unique
 * @param tuning how the delivery loop polls, backs off and protects itself
 */
public record OutboundSettings(CallbackSettings callbacks, List<NotificationSettings> notifications, Tuning tuning)
        implements OutboxRouting {

    /**
     * Knobs of the delivery loop (not in the configuration file; tests shorten them).
     *
     * @param poll longest sleep between looks for due rows
     * @param backoff delay before attempt n+1 after n failed attempts
     * @param httpTimeout connect and response timeout of each request
     * @param lease how long a claimed row is hidden from other schedulers while it is being sent
     * @param batchSize most rows claimed at once
     * @param breaker circuit breaker per destination host
     */
    public record Tuning(Duration poll, Backoff backoff, Duration httpTimeout, Duration lease, int batchSize,
            CircuitBreakerSettings breaker) {

        public Tuning {
            Objects.requireNonNull(poll, "poll");
            Objects.requireNonNull(backoff, "backoff");
            Objects.requireNonNull(httpTimeout, "httpTimeout");
            Objects.requireNonNull(lease, "lease");
            Objects.requireNonNull(breaker, "breaker");
            if (lease.compareTo(httpTimeout) <= 0) {
                throw new IllegalArgumentException("lease (" + lease + ") must be longer than httpTimeout (" + httpTimeout + ")");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
            }
        }

        /** Poll 1 s; 1 s doubling to 10 min, ±20 %; 10 s timeout; 60 s lease; 50 rows; breaker 50 % of 10, open 30 s. */
        public static Tuning defaults() {
            return new Tuning(Duration.ofSeconds(1),
                    Backoff.exponential(Duration.ofSeconds(1), Duration.ofMinutes(10), 2.0, 0.2),
                    Duration.ofSeconds(10), Duration.ofSeconds(60), 50,
                    new CircuitBreakerSettings(50, 10, Duration.ofSeconds(30)));
        }
    }

    public OutboundSettings {
        Objects.requireNonNull(callbacks, "callbacks");
        notifications = List.copyOf(Objects.requireNonNullElse(notifications, List.of()));
        Objects.requireNonNull(tuning, "tuning");
        Set<String> names = new HashSet<>();
        for (NotificationSettings n : notifications) {
            if (!names.add(n.name())) {
                throw new NotificationSettings.Invalid(n.name(), "name", "duplicate notification name");
            }
            InetAddress literal = PrivateAddresses.literal(n.url().getHost());
            if (literal != null && !callbacks.allowPrivateNetworks() && PrivateAddresses.isPrivate(literal)) {
                throw new NotificationSettings.Invalid(n.name(), "url", "refused: private address "
                        + literal.getHostAddress() + " (set callbacks.allow-private-networks: true to allow it)");
            }
        }
    }

    /** Default callbacks, no notifications, default tuning. */
    public static OutboundSettings defaults() {
        return new OutboundSettings(CallbackSettings.defaults(), List.of(), Tuning.defaults());
    }

    public OutboundSettings withTuning(Tuning tuning) {
        return new OutboundSettings(callbacks, notifications, tuning);
    }

    /** The notification called {@code name}, if it is (still) configured. */
    public Optional<NotificationSettings> notification(String name) {
        return notifications.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    @Override
    public List<Target> notifications(String topic, TaskStatus status) {
        if (notifications.isEmpty()) {
            return List.of();
        }
        List<Target> targets = null;
        for (NotificationSettings n : notifications) {
            if (n.matches(topic, status)) {
                if (targets == null) {
                    targets = new ArrayList<>(2);
                }
                targets.add(new Target(n.name(), n.url().toString()));
            }
        }
        return targets == null ? List.of() : targets;
    }

    /** For the start-up log: names and URLs, never the secret. */
    public Map<String, Object> describe() {
        return Map.of("callbacks", callbacks.toString(),
                "notifications", notifications.stream().map(n -> n.name() + " " + n.method() + " " + n.url()
                        + " on " + n.on() + (n.topics().isEmpty() ? "" : " topics " + n.topics())).toList());
    }
}
