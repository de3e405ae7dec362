package dev.conveyor.worker.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;

/**
 * Runs work for the same (partition, key) one at a time in submission order, and different keys
 * in parallel. Submissions come from the poll thread in offset order, so same-key tasks run in
 * offset order. Holds one future per key with work outstanding; the entry goes when the key's
 * last work ends, so memory follows the in-flight window, not the key space.
 */
final class KeyedSequencer {

    private record SequenceKey(TopicPartition partition, ByteBuffer key) {}

    private final ConcurrentHashMap<SequenceKey, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Executor executor;

    KeyedSequencer(Executor executor) {
        this.executor = executor;
    }

    /** Runs {@code work} now (no key) or after the previous work of the same key. {@code work} must not throw. */
    void submit(TopicPartition partition, byte[] key, Runnable work) {
        if (key == null) {
            executor.execute(work);
            return;
        }
        SequenceKey k = new SequenceKey(partition, ByteBuffer.wrap(key));
        CompletableFuture<Void> previous = tails.get(k);
        CompletableFuture<Void> next = previous == null
                ? CompletableFuture.runAsync(work, executor)
                : previous.handle((ignored, error) -> null).thenRunAsync(work, executor);
        tails.put(k, next);
        next.whenComplete((ignored, error) -> tails.remove(k, next));
    }

    /** Whether work of this (partition, key) is queued or running: new work of the key would wait for it. */
    boolean busy(TopicPartition partition, byte[] key) {
        return key != null && tails.containsKey(new SequenceKey(partition, ByteBuffer.wrap(key)));
    }

    /** Keys with work outstanding (for tests and metrics). */
    int activeKeys() {
        return tails.size();
    }
}
