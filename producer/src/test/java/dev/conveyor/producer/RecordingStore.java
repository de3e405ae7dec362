package dev.conveyor.producer;

import dev.conveyor.schema.Task;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.TaskState;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A fake status store for the accepted tasks' writer: it remembers every batch of
 * {@link #recordQueued} and {@link #schedule}, can hold each call until {@link #release()}, and can
 * fail. Every other transition is not the writer's and throws.
 */
final class RecordingStore implements StatusStore {

    final List<List<StatusChange>> queuedBatches = new CopyOnWriteArrayList<>();
    final List<List<StatusChange>> scheduledBatches = new CopyOnWriteArrayList<>();
    /** Counted down when a call starts. */
    final CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile RuntimeException failure;

    /** From now on calls wait until {@link #release()}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }

    /** From now on calls throw {@code e}. */
    void failWith(RuntimeException e) {
        failure = e;
    }

    @Override
    public Set<UUID> recordQueued(List<StatusChange> accepted) {
        return write(accepted, queuedBatches);
    }

    @Override
    public Set<UUID> schedule(List<StatusChange> scheduled) {
        return write(scheduled, scheduledBatches);
    }

    private Set<UUID> write(List<StatusChange> changes, List<List<StatusChange>> into) {
        entered.countDown();
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (failure != null) {
            throw failure;
        }
        into.add(List.copyOf(changes));
        return changes.stream().map(StatusChange::id).collect(Collectors.toSet());
    }

    @Override
    public Map<UUID, TaskState> load(Collection<UUID> ids) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Set<UUID> markRunning(List<StatusChange> running) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Set<UUID> recordOutcomes(List<StatusChange> outcomes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void requeueDue(List<Redelivery> due, Instant at) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Set<UUID> apply(List<StatusChange> changes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Cancellation cancel(UUID id, String reason, Instant at) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver) {
        throw new UnsupportedOperationException();
    }
}
