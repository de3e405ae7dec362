package dev.conveyor.bench;

import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusModes;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.recorder.QueuedRecorder;
import dev.conveyor.worker.recorder.WorkerGroupOffsets;
import dev.conveyor.worker.recorder.RecorderConfig;
import dev.conveyor.worker.recorder.RecorderMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The recorder a deployment runs beside its workers (in the scheduler role), for one workload
 * step: its own consumer group on the step's topic, its own store over the step's database. Its
 * lag timer keeps a p99 over the whole step (a bench-only meter filter), so the figures come from
 * every record it read.
 */
final class RecorderRun implements AutoCloseable {

    private final QueuedRecorder recorder;
    private final WorkerGroupOffsets workers;

    private RecorderRun(QueuedRecorder recorder, WorkerGroupOffsets workers) {
        this.recorder = recorder;
        this.workers = workers;
    }

    static RecorderRun start(BenchContext ctx, String topic, Database db, String name) throws InterruptedException {
        return start(ctx, topic, db, name, StatusModes.FULL);
    }

    /** The same, for topics in the given status modes (a lean topic's tasks get no queued row). */
    static RecorderRun start(BenchContext ctx, String topic, Database db, String name, StatusModes modes)
            throws InterruptedException {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        meters.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().equals(RecorderMetrics.LAG)) {
                    return config;
                }
                return DistributionStatisticConfig.builder().percentiles(0.99).percentilePrecision(2)
                        .expiry(Duration.ofHours(1)).bufferLength(1).build().merge(config);
            }
        });
        RecorderConfig config = new RecorderConfig(true, ctx.infra().bootstrap(), Map.of(),
                ctx.infra().name(name + "_recorder"), name + "-recorder", Set.of(topic),
                RecorderConfig.DEFAULT_BATCH_SIZE);
        // As in a deployment: it skips what the step's workers (group ctx.worker(name, ...)) committed.
        WorkerGroupOffsets workers = WorkerGroupOffsets.of(config, ctx.infra().name(name));
        QueuedRecorder recorder = QueuedRecorder.start(config, new QueuedRecorder.Collaborators(
                new JooqStatusStore(db.dsl(), name + "-recorder"), meters, Clock.systemUTC()).skippingWhat(workers)
                .withModes(modes));
        // A deployment's recorder has long had its partitions: its group join is not lag.
        if (!recorder.awaitAssignment(Duration.ofSeconds(60))) {
            recorder.close();
            workers.close();
            throw new IllegalStateException(name + ": the recorder got no partitions within 60 s");
        }
        return new RecorderRun(recorder, workers);
    }

    /**
     * Puts {@code recorded_per_s} (queued rows it wrote per second of the step),
     * {@code recorder_records_per_s} (records whose row it saw durable, written, already there or
     * written by the workers, per second), {@code recorder_lag_p99_ms} (record timestamp to row durable) and
     * {@code recorder_write_mean_ms} (one poll's insert statement) on {@code line}.
     */
    void putFigures(Line line, double seconds) {
        RecorderMetrics m = recorder.metrics();
        line.put("recorded_per_s", seconds > 0 ? Math.round(m.recorded() / seconds) : 0)
                .put("recorder_records_per_s", seconds > 0 ? Math.round(m.lag().count() / seconds) : 0)
                .put("recorder_lag_p99_ms", Line.round3(p99Ms()))
                .put("recorder_write_mean_ms", Line.round3(m.write().mean(TimeUnit.MILLISECONDS)));
    }

    private double p99Ms() {
        for (ValueAtPercentile v : recorder.metrics().lag().takeSnapshot().percentileValues()) {
            if (v.percentile() == 0.99) {
                return v.value(TimeUnit.MILLISECONDS);
            }
        }
        return 0;
    }

    @Override
    public void close() {
        recorder.close();
        workers.close();
    }
}
