package dev.conveyor.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.store.StatusChange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The group commit of accepted tasks' rows, against a fake store that can hold, fail and count. */
class AcceptedTasksTest {

    private final RecordingStore store = new RecordingStore();
    private final Counter failures = new SimpleMeterRegistry().counter("failures");
    private AcceptedTasks accepted;

    @AfterEach
    void close() {
        store.release();
        if (accepted != null) {
            accepted.close();
        }
    }

    private static Task task() {
        return Task.builder().topic("orders").createdAt(Instant.parse("2026-12-02T10:00:00Z")).build();
    }

    @Test
    void tasksArrivingWhileABatchIsWrittenGoInTheNextOneAndEachCallerLearnsWhenItsRowIsDurable() throws Exception {
        accepted = AcceptedTasks.start(store, "accepted by test", failures, Duration.ofSeconds(10), 100);
        store.hold();
        CompletableFuture<Boolean> first = accepted.record(task(), null);
        assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Boolean>> next = new ArrayList<>();
        IntStream.range(0, 10).parallel().forEach(i -> {
            CompletableFuture<Boolean> f = accepted.record(task(), null);
            synchronized (next) {
                next.add(f);
            }
        });
        assertThat(first).isNotDone();
        assertThat(next).noneMatch(CompletableFuture::isDone);

        store.release();
        assertThat(first.get(5, TimeUnit.SECONDS)).isTrue();
        for (CompletableFuture<Boolean> f : next) {
            assertThat(f.get(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(store.queuedBatches).extracting(List::size).containsExactly(1, 10);
        StatusChange change = store.queuedBatches.get(0).get(0);
        assertThat(change.transitions().get(0).reason()).isEqualTo("accepted by test");
        assertThat(failures.count()).isZero();
    }

    @Test
    void aBatchHoldsAtMostAThousandTasks() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofSeconds(10), 5000);
        store.hold();
        accepted.record(task(), null);
        assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Boolean>> all = IntStream.range(0, 2500).mapToObj(i -> accepted.record(task(), null))
                .toList();
        store.release();
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(store.queuedBatches).extracting(List::size).containsExactly(1, 1000, 1000, 500);
    }

    @Test
    void aFutureDatedTaskIsScheduledNotQueued() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofSeconds(10), 100);
        Task task = task();
        Instant due = task.createdAt().plusSeconds(60);
        assertThat(accepted.record(task, due).get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(store.queuedBatches).isEmpty();
        StatusChange change = store.scheduledBatches.get(0).get(0);
        assertThat(change.nextRunAt()).isEqualTo(due);
        assertThat(change.delivery()).isNotNull();
        assertThat(change.at()).isEqualTo(task.createdAt());
    }

    @Test
    void aCallerGivesUpAfterTheBoundWhenTheDatabaseDoesNotAnswerAndSoDoOnesQueuedBehindIt() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofMillis(200), 100);
        store.hold();
        long start = System.nanoTime();
        CompletableFuture<Boolean> writing = accepted.record(task(), null);
        assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> waiting = accepted.record(task(), null);

        assertThat(writing.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(190), Duration.ofSeconds(2));
        // Counted right after the future completes (on the watchdog thread): wait for it.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> failures.count() == 2);

        // Given up is not dropped: once the database answers the rows are written all the same.
        store.release();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> store.queuedBatches.stream().mapToInt(List::size).sum() == 2);
        assertThat(failures.count()).isEqualTo(2);
    }

    @Test
    void aFailedBatchCompletesItsCallersWithFalseAndTheNextOneIsWritten() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofSeconds(10), 100);
        store.failWith(new org.jooq.exception.DataAccessException("connection refused"));
        assertThat(accepted.record(task(), null).get(5, TimeUnit.SECONDS)).isFalse();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> failures.count() == 1);
        store.failWith(null);
        assertThat(accepted.record(task(), null).get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aFullQueueGivesUpAtOnceInsteadOfBlocking() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofSeconds(10), 2);
        store.hold();
        accepted.record(task(), null);
        assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> a = accepted.record(task(), null);
        CompletableFuture<Boolean> b = accepted.record(task(), null);
        CompletableFuture<Boolean> overflow = accepted.record(task(), null);
        assertThat(overflow).isCompletedWithValue(false);
        assertThat(a).isNotDone();
        assertThat(b).isNotDone();
        assertThat(failures.count()).isEqualTo(1);
        store.release();
        assertThat(a.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(b.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void closingWritesWhatWaitsAndThenRefusesNewTasks() throws Exception {
        accepted = AcceptedTasks.start(store, "r", failures, Duration.ofSeconds(10), 100);
        CompletableFuture<Boolean> before = accepted.record(task(), null);
        accepted.close();
        assertThat(before.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(accepted.record(task(), null)).isCompletedWithValue(false);
    }
}
