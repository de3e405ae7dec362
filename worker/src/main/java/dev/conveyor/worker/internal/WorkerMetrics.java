package dev.conveyor.worker.internal;

import dev.conveyor.schema.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.util.concurrent.atomic.AtomicInteger;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** The worker's meters (Micrometer), named {@code conveyor.worker.*}. */
public final class WorkerMetrics {

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter[]> outcomes = new ConcurrentHashMap<>();
    private final Counter duplicates;
    private final Counter deadLetters;
    private final Counter statusWriteFailures;
    private final Timer statusWrite;
    private final Timer stateRead;
    private final Supplier<Number> inFlight;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Timer execution;
    private final Timer pickup;
    private final Timer endToEnd;
    private final ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicLong> lag = new ConcurrentHashMap<>();

    public WorkerMetrics(MeterRegistry registry, Supplier<Number> inFlight) {
        this.registry = registry;
        this.inFlight = inFlight;
        this.duplicates = Counter.builder("conveyor.worker.duplicates")
                .description("Records not run because their task was already terminal or running").register(registry);
        this.deadLetters = Counter.builder("conveyor.worker.dead.letters")
                .description("Records sent to the dead-letter topic").register(registry);
        this.statusWriteFailures = Counter.builder("conveyor.worker.status.write.failures")
                .description("Failed status write attempts (retried)").register(registry);
        this.statusWrite = Timer.builder("conveyor.worker.status.write")
                .description("Time to write one batch of outcomes").register(registry);
        this.stateRead = Timer.builder("conveyor.worker.state.read")
                .description("Time the poll thread waited for the stored state of one poll's tasks (the "
                        + "duplicate check before anything runs)")
                .publishPercentileHistogram().register(registry);
        this.execution = Timer.builder("conveyor.worker.execution")
                .description("Time extensions took per execution").publishPercentileHistogram()
                .register(registry);
        this.pickup = Timer.builder("conveyor.worker.pickup")
                .description("From the record's Kafka timestamp (or its conveyor_not_before time, when later) to the "
                        + "start of its execution")
                .publishPercentileHistogram().register(registry);
        this.endToEnd = Timer.builder("conveyor.worker.end.to.end")
                .description("From the task's creation (event time) to its outcome being durable; includes any delay "
                        + "asked for with X-Schedule-At/In and reschedules")
                .publishPercentileHistogram().register(registry);
        Gauge.builder("conveyor.worker.in.flight", inFlight, s -> s.get().doubleValue())
                .description("Records between poll and commit").register(registry);
        Gauge.builder("conveyor.worker.waiting", waiting, AtomicInteger::doubleValue)
                .description("Polled records waiting for the status writers to catch up before they start")
                .register(registry);
    }

    /** Polled records waiting for the status writers (set by the poll thread). */
    void waiting(int records) {
        waiting.set(records);
    }

    /** Polled records waiting for the status writers to catch up before they start. */
    public int waiting() {
        return waiting.get();
    }

    void outcome(String topic, TaskStatus status) {
        // Per topic, one slot per status: no key to build per recorded execution.
        Counter[] byStatus = outcomes.computeIfAbsent(topic, k -> new Counter[TaskStatus.values().length]);
        Counter counter = byStatus[status.ordinal()];
        if (counter == null) {
            counter = Counter.builder("conveyor.worker.outcomes")
                    .description("Executions recorded, by topic and resulting status")
                    .tag("topic", topic).tag("status", status.wireName()).register(registry);
            byStatus[status.ordinal()] = counter; // a racing writer registers the same meter: the registry dedupes
        }
        counter.increment();
    }

    Timer pickup() {
        return pickup;
    }

    /** The poll thread's state reads: one per poll that carried tasks. */
    public Timer stateRead() {
        return stateRead;
    }

    Timer endToEnd() {
        return endToEnd;
    }

    /** Sets the consumer lag of {@code topic} (records behind the end, summed over this worker's partitions). */
    void lag(String topic, long records) {
        lag.computeIfAbsent(topic, t -> {
            java.util.concurrent.atomic.AtomicLong value = new java.util.concurrent.atomic.AtomicLong();
            Gauge.builder("conveyor.worker.lag", value, java.util.concurrent.atomic.AtomicLong::doubleValue)
                    .description("Records not yet consumed by this worker, by topic (its assigned partitions)")
                    .tag("topic", t).register(registry);
            return value;
        }).set(records);
    }

    void duplicate() {
        duplicates.increment();
    }

    void deadLetter() {
        deadLetters.increment();
    }

    void statusWriteFailed() {
        statusWriteFailures.increment();
    }

    Timer statusWrite() {
        return statusWrite;
    }

    Timer execution() {
        return execution;
    }

    /** Records between poll and commit right now (held ones included). */
    public int inFlight() {
        return inFlight.get().intValue();
    }

    /** Records counted as duplicates so far. */
    public double duplicates() {
        return duplicates.count();
    }

    /** Records sent to the dead-letter topic so far. */
    public double deadLetters() {
        return deadLetters.count();
    }
}
