package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class KeyedSequencerTest {

    @Test
    void sameKeyRunsInOrderOneAtATimeAndKeysRunInParallel() throws Exception {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        KeyedSequencer sequencer = new KeyedSequencer(executor);
        TopicPartition tp = new TopicPartition("t", 0);
        List<Integer> orderA = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger activeA = new AtomicInteger();
        AtomicInteger maxActiveA = new AtomicInteger();
        CountDownLatch bothKeysRunning = new CountDownLatch(2);
        CountDownLatch done = new CountDownLatch(101);
        for (int i = 0; i < 100; i++) {
            int n = i;
            sequencer.submit(tp, "a".getBytes(StandardCharsets.UTF_8), () -> {
                maxActiveA.accumulateAndGet(activeA.incrementAndGet(), Math::max);
                if (n == 0) {
                    bothKeysRunning.countDown();
                    await(bothKeysRunning);
                }
                orderA.add(n);
                activeA.decrementAndGet();
                done.countDown();
            });
        }
        sequencer.submit(tp, "b".getBytes(StandardCharsets.UTF_8), () -> {
            bothKeysRunning.countDown();
            done.countDown();
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).as("key b ran while key a's first task waited for it").isTrue();
        assertThat(maxActiveA.get()).isEqualTo(1);
        assertThat(orderA).isSorted().hasSize(100);
        executor.shutdown();
        // Entries are dropped once a key has no work left.
        org.awaitility.Awaitility.await().until(() -> sequencer.activeKeys() == 0);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
