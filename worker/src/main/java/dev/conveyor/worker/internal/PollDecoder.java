package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes a poll's records, a large poll in parallel slices on the execution threads: decoding is
 * most of the poll thread's own work, and the poll thread is what bounds a worker's drain rate.
 */
final class PollDecoder {

    /** A poll of at least {@code 2 × SLICE_MIN} records is decoded in up to {@code SLICES} parallel slices. */
    private static final int SLICES = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final int SLICE_MIN = 128;

    private final TaskRecordCodec codec;
    private final ExecutorService threads;

    PollDecoder(TaskRecordCodec codec, ExecutorService threads) {
        this.codec = codec;
        this.threads = threads;
    }

    Decoded[] decodeAll(List<ConsumerRecord<byte[], byte[]>> list) {
        int n = list.size();
        Decoded[] decoded = new Decoded[n];
        int slices = Math.min(SLICES, n / SLICE_MIN);
        if (slices < 2) {
            decode(list, decoded, 0, n);
            return decoded;
        }
        List<Future<?>> others = new ArrayList<>(slices - 1);
        for (int s = 1; s < slices; s++) {
            int from = n * s / slices;
            int to = n * (s + 1) / slices;
            others.add(threads.submit(() -> decode(list, decoded, from, to)));
        }
        decode(list, decoded, 0, n / slices);
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while decoding a poll", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("decoding a poll failed", e.getCause());
            }
        }
        return decoded;
    }

    private void decode(List<ConsumerRecord<byte[], byte[]>> list, Decoded[] into, int from, int to) {
        for (int i = from; i < to; i++) {
            into[i] = codec.decode(list.get(i));
        }
    }
}
