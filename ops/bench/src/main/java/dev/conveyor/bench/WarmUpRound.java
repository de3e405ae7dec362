package dev.conveyor.bench;

import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import dev.conveyor.store.db.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * W2's and W3's unmeasured round of the same shape through the same worker and scheduler, on a
 * topic of its own: the measured round then runs compiled code on warm connections, as a
 * scheduler and workers that have been running a while do.
 */
final class WarmUpRound {

    private WarmUpRound() {}

    /**
     * Publishes {@code jobs} tasks to {@code topic} with the options {@code options} gives for the
     * i-th, waits until {@code finished} says each is through and no delivery of the topic is left,
     * then a second for the status writes and deletes to settle.
     *
     * @throws IllegalStateException when the round does not finish within the step timeout
     */
    static void run(BenchContext ctx, String workload, Publisher publisher, Database db, String topic, int jobs,
            IntFunction<PublishOptions.Builder> options, Predicate<UUID> finished) throws Exception {
        List<UUID> ids = new ArrayList<>(jobs);
        List<CompletableFuture<UUID>> sent = new ArrayList<>(jobs);
        for (int i = 0; i < jobs; i++) {
            UUID id = UUID.randomUUID();
            ids.add(id);
            sent.add(publisher.publish(topic, Payload.json(i), options.apply(i).id(id).build()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .get(ctx.settings().stepTimeoutSeconds(), TimeUnit.SECONDS);
        long deadline = System.nanoTime() + ctx.stepTimeout().toNanos();
        for (UUID id : ids) {
            while (!finished.test(id) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        DelayAccuracy.awaitNoPending(db, topic, deadline);
        if (ids.stream().anyMatch(id -> !finished.test(id))) {
            throw new IllegalStateException(workload + ": the warm-up round did not finish within "
                    + ctx.settings().stepTimeoutSeconds() + " s");
        }
        Thread.sleep(1000); // let the status writes and deletes of the warm-up settle
    }
}
