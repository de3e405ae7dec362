package dev.conveyor.bench;

/** One workload of {@code conveyor bench}: runs on the context's infrastructure, answers one JSON line. */
public interface Workload {

    WorkloadId id();

    /**
     * Runs the workload with its baselines.
     *
     * @return its line; a line marked failed makes the command exit non-zero
     * @throws Exception when it could not run at all (reported as a failed line by the runner)
     */
    Line run(BenchContext context) throws Exception;
}
