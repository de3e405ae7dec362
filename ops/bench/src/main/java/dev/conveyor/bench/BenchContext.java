package dev.conveyor.bench;

import dev.conveyor.store.db.Database;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.scheduler.Scheduler;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import dev.conveyor.worker.spi.Extension;
import java.time.Clock;
import java.time.Duration;

/** What every workload gets: the settings, the infrastructure and the progress channel. */
public record BenchContext(BenchSettings settings, Infrastructure infra, Progress progress) {

    /** Concurrency of the workers under test (enough that a no-op extension never waits for a slot). */
    public static final int WORKER_CONCURRENCY = 256;

    /** Worker settings every workload starts from: the settings' writers, in-flight limit and ordering. */
    public WorkerConfig.Builder worker(String name, String topicPrefix) {
        return WorkerConfig.builder(infra.bootstrap())
                .group(infra.name(name))
                .node(name)
                .topicPrefix(topicPrefix)
                .concurrency(WORKER_CONCURRENCY)
                .statusWriters(settings.statusWriters())
                .maxInFlight(settings.maxInFlight())
                .ordering(settings.ordering())
                .shutdownGrace(Duration.ofSeconds(10));
    }

    /** Internal topic prefix of one workload's workers and scheduler. */
    public String prefix(String name) {
        return infra.name(name).replace('_', '.') + ".";
    }

    /** Starts a worker with {@code extension} and waits until it has its partitions. */
    public Worker startWorker(WorkerConfig config, Database db, Extension extension) throws InterruptedException {
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extension)));
        if (!worker.awaitAssignment(Duration.ofSeconds(60))) {
            worker.close();
            throw new IllegalStateException(config.node() + ": the worker got no partitions within 60 s");
        }
        Thread.sleep(300); // let the first poll after assignment fetch the positions
        return worker;
    }

    /**
     * The worker's state reads (the poll thread's wait for the stored state of each poll's tasks):
     * {@code state_reads}, {@code state_read_mean_ms}, {@code state_read_max_ms} (max of the last
     * couple of minutes, as Micrometer keeps it).
     */
    public static void putStateReads(Line line, Worker worker) {
        io.micrometer.core.instrument.Timer reads = worker.metrics().stateRead();
        line.put("state_reads", reads.count())
                .put("state_read_mean_ms", Line.round3(reads.mean(java.util.concurrent.TimeUnit.MILLISECONDS)))
                .put("state_read_max_ms", Line.round3(reads.max(java.util.concurrent.TimeUnit.MILLISECONDS)));
    }

    /** Starts a scheduler on {@code db} with the workload's internal topic prefix. */
    public Scheduler startScheduler(String name, String prefix, Database db) {
        return Scheduler.start(SchedulerConfig.defaults(infra.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(infra.name(name + "_scheduler")).withNode(name + "-scheduler"),
                new Scheduler.Collaborators(db, Clock.systemUTC()));
    }

    public Duration stepTimeout() {
        return Duration.ofSeconds(settings.stepTimeoutSeconds());
    }
}
