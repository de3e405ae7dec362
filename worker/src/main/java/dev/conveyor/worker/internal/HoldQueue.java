package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.ConveyorHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records whose {@code conveyor_not_before} time is in the future (the scheduler sends due
 * deliveries a little ahead), held until that time so a cancel in between is seen and the task
 * never starts early. Released in not-before order, poll order among equals; at most every
 * {@link #RELEASE_TICK_NANOS} so records due within one tick share one status read. Poll thread only.
 *
 * <p>A held record keeps its claim and counts in flight, but is never committed past: on a
 * rebalance or stop it is given up (redelivered to the next owner).
 */
final class HoldQueue {

    private static final Logger log = LoggerFactory.getLogger(HoldQueue.class);
    /**
     * Longest a record may ask to be held: the scheduler sends 1 s ahead; a record asking for more is
     * not one of its deliveries (future-dated tasks go through the delayed topic) and is dead-lettered
     * rather than left blocking its partition's commits.
     */
    static final Duration MAX_HOLD = Duration.ofSeconds(60);
    static final long RELEASE_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private record Held(Polled polled, Instant releaseAt, long seq) {}

    private final PriorityQueue<Held> held = new PriorityQueue<>(
            Comparator.comparing(Held::releaseAt).thenComparingLong(Held::seq));
    private final Clock clock;
    private final LongSupplier nanoTime;
    private long seq;
    private long lastReleaseNanos;

    HoldQueue(Clock clock, LongSupplier nanoTime) {
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.lastReleaseNanos = nanoTime.getAsLong() - RELEASE_TICK_NANOS;
    }

    /** Whether {@code notBefore} is further ahead than any scheduler delivery may ask. */
    static boolean tooFarAhead(Instant notBefore, Instant now) {
        return notBefore != null && notBefore.isAfter(now.plus(MAX_HOLD));
    }

    /** Holds {@code p} if its not-before time is after {@code now}; false when it may go on at once. */
    boolean hold(Polled p, Instant now) {
        Instant notBefore = p.notBefore();
        if (notBefore == null || !notBefore.isAfter(now)) {
            return false;
        }
        held.add(new Held(p.readyAt(notBefore), notBefore, seq++));
        return true;
    }

    /** The records whose time has come (empty between release ticks). */
    List<Polled> releaseDue() {
        if (held.isEmpty() || nanoTime.getAsLong() - lastReleaseNanos < RELEASE_TICK_NANOS) {
            return List.of();
        }
        Instant now = clock.instant();
        if (held.peek().releaseAt().isAfter(now)) {
            return List.of();
        }
        lastReleaseNanos = nanoTime.getAsLong();
        List<Polled> due = new ArrayList<>();
        while (!held.isEmpty() && !held.peek().releaseAt().isAfter(now)) {
            due.add(held.poll().polled());
        }
        return due;
    }

    /** How long a poll may block: until the next record is due and the tick has passed, at most {@code max}. */
    Duration untilRelease(Duration max) {
        Held next = held.peek();
        if (next == null) {
            return max;
        }
        long ms = Duration.between(clock.instant(), next.releaseAt()).toMillis() + 1;
        long tickLeftMs = (RELEASE_TICK_NANOS - (nanoTime.getAsLong() - lastReleaseNanos)) / 1_000_000L + 1;
        return Duration.ofMillis(Math.max(1, Math.min(max.toMillis(), Math.max(ms, tickLeftMs))));
    }

    /** Removes and returns the held records of the partitions {@code given} accepts. */
    List<Polled> giveUp(Predicate<TopicPartition> given) {
        List<Polled> out = new ArrayList<>();
        for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (given.test(h.polled().partition())) {
                it.remove();
                out.add(h.polled());
            }
        }
        return out;
    }

    int size() {
        return held.size();
    }

    /** The record's {@code conveyor_not_before} time, or null without one (or with one that does not parse). */
    static Instant notBefore(ConsumerRecord<byte[], byte[]> record) {
        Header h = record.headers().lastHeader(ConveyorHeaders.NOT_BEFORE);
        if (h == null || h.value() == null) {
            return null;
        }
        String text = new String(h.value(), StandardCharsets.UTF_8);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            log.warn("Ignoring {} '{}' of {}-{}@{}: not an RFC 3339 time", ConveyorHeaders.NOT_BEFORE, text,
                    record.topic(), record.partition(), record.offset());
            return null;
        }
    }
}
