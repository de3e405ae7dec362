package dev.conveyor.chaos;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the load's clients were told: every task accepted (the 202's id, the publisher's completed
 * future, the interactive answer's task id) with the status it must end in, and every ambiguous
 * answer (503, timeout, connection lost mid-request) on its own.
 */
final class ClientRecords {

    /** A task the client was told was accepted. {@code ref} is the client's own request id, in the payload. */
    record Accepted(String ref, UUID id, String channel, String mode, String expected, boolean callback,
            long atMillis, String idempotencyKey, int ambiguousBefore) {}

    /** An answer that leaves the client unsure whether its event was enqueued. */
    record Ambiguous(String ref, String channel, String what, long atMillis, String idempotencyKey, UUID id) {}

    private final List<Accepted> accepted = new CopyOnWriteArrayList<>();
    private final List<Ambiguous> ambiguous = new CopyOnWriteArrayList<>();
    private final ConcurrentMap<String, AtomicLong> other = new ConcurrentHashMap<>();
    private final List<String> samples = new CopyOnWriteArrayList<>();

    void accepted(Accepted a) {
        accepted.add(a);
    }

    void ambiguous(Ambiguous a) {
        ambiguous.add(a);
    }

    /** Counts an answer that is neither acceptance nor ambiguity (refused connection, 4xx, wrong body...). */
    void count(String what) {
        other.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    /** Keeps the first answers of each unexpected kind (time, node, status, body) as evidence. */
    void sample(String what, String detail) {
        if (other.getOrDefault(what, new AtomicLong()).get() <= 5) {
            samples.add(java.time.Instant.now() + "\t" + what + "\t" + detail.replace('\n', ' '));
        }
    }

    List<String> samples() {
        return List.copyOf(samples);
    }

    List<Accepted> accepted() {
        return List.copyOf(accepted);
    }

    List<Ambiguous> ambiguous() {
        return List.copyOf(ambiguous);
    }

    java.util.Map<String, Long> other() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        other.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
