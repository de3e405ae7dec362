package dev.conveyor.worker.recorder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/** The recorder's meters (Micrometer), named {@code conveyor.recorder.*}. */
public final class RecorderMetrics {

    /** Name of the lag timer: from a record's Kafka timestamp to its queued row being durable. */
    public static final String LAG = "conveyor.recorder.lag";
    /** Name of the counter of queued rows the recorder wrote. */
    public static final String RECORDED = "conveyor.recorder.recorded";

    private final Counter recorded;
    private final Counter writeFailures;
    private final Timer lag;
    private final Timer write;
    private final Map<Skip, Counter> skipped = new EnumMap<>(Skip.class);

    RecorderMetrics(MeterRegistry registry) {
        this.recorded = Counter.builder(RECORDED)
                .description("Queued rows the recorder wrote (tasks that had no row yet when their record was read)")
                .register(registry);
        this.writeFailures = Counter.builder("conveyor.recorder.write.failures")
                .description("Failed writes of a batch of queued rows (retried until the database answers)")
                .register(registry);
        this.lag = Timer.builder(LAG)
                .description("From a record's Kafka timestamp to its task's row being durable (written now or "
                        + "found already there)")
                .publishPercentileHistogram().register(registry);
        this.write = Timer.builder("conveyor.recorder.write")
                .description("Time to write one poll's queued rows (one statement), retries included")
                .register(registry);
        for (Skip reason : Skip.values()) {
            skipped.put(reason, Counter.builder("conveyor.recorder.skipped")
                    .description("Records the recorder wrote no row for, by why")
                    .tag("reason", reason.tag()).register(registry));
        }
    }

    /** A batch is durable at {@code nowMs}: {@code inserted} rows were new, the lag counts every record of it. */
    void durable(PollBatch batch, int inserted, long nowMs) {
        recorded.increment(inserted);
        recordLag(batch.timestamps(), nowMs);
        recordLag(batch.aheadTimestamps(), nowMs);
        batch.skipped().forEach((reason, count) -> skipped.get(reason).increment(count));
    }

    private void recordLag(long[] timestamps, long nowMs) {
        for (long timestamp : timestamps) {
            lag.record(Duration.ofMillis(Math.max(0, nowMs - timestamp)));
        }
    }

    /** The write timer: one sample per poll that had rows to write. */
    public Timer write() {
        return write;
    }

    void writeFailed() {
        writeFailures.increment();
    }

    /** Queued rows written so far. */
    public double recorded() {
        return recorded.count();
    }

    /** The lag timer (for a benchmark reading its percentiles). */
    public Timer lag() {
        return lag;
    }
}
