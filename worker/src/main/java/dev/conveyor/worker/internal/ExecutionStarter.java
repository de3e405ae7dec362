package dev.conveyor.worker.internal;

import dev.conveyor.worker.execution.ExecutionPlan;
import dev.conveyor.worker.spi.Ordering;
import java.util.concurrent.Executor;

/**
 * Starts routed executions: through the {@link WriteAheadGate} (unless they may not wait), then in
 * their key's turn ({@link KeyedSequencer}, under {@code key} ordering) on a virtual thread of the
 * {@link TaskExecutor}. Poll thread only.
 */
final class ExecutionStarter {

    private final WriteAheadGate gate;
    private final KeyedSequencer sequencer;
    private final TaskExecutor executor;

    ExecutionStarter(WriteAheadGate gate, Executor threads, TaskExecutor executor) {
        this.gate = gate;
        this.sequencer = new KeyedSequencer(threads);
        this.executor = executor;
    }

    void start(Polled p, Execution execution) {
        byte[] sequenceKey = execution.route().ordering() == Ordering.KEY ? p.record().key() : null;
        Runnable start = () -> {
            // Counted until it begins, unless it will queue behind its key (a hot key must not hold up the rest).
            boolean counted = !sequencer.busy(p.partition(), sequenceKey);
            if (counted) {
                gate.queued();
            }
            sequencer.submit(p.partition(), sequenceKey, () -> {
                if (counted) {
                    gate.began();
                }
                executor.execute(execution);
            });
        };
        // Scheduler deliveries whose time has come, and interactive records (a caller is waiting), never wait.
        boolean mayWait = !p.due() && execution.route().kind() != ExecutionPlan.Kind.INTERACTIVE;
        gate.admit(p, mayWait, start);
    }
}
