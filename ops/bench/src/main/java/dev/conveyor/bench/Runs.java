package dev.conveyor.bench;

import dev.conveyor.schema.Task;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** When an extension first ran each task, and how often; {@link #measured()} counts distinct measured tasks. */
final class Runs {

    /** First handle() entry (epoch ms) and number of runs of one task. */
    static final class Run {
        final long firstStartMs;
        int count;

        Run(long firstStartMs) {
            this.firstStartMs = firstStartMs;
        }
    }

    private final ConcurrentHashMap<UUID, Run> runs = new ConcurrentHashMap<>();
    private final AtomicInteger measured = new AtomicInteger();

    void record(Task task, long startMs, boolean measure) {
        boolean[] isNew = new boolean[1];
        runs.compute(task.id(), (id, r) -> {
            if (r == null) {
                r = new Run(startMs);
                isNew[0] = true;
            }
            r.count++;
            return r;
        });
        if (isNew[0] && measure) {
            measured.incrementAndGet();
        }
    }

    boolean ran(UUID id) {
        return runs.containsKey(id);
    }

    Run get(UUID id) {
        return runs.get(id);
    }

    int measured() {
        return measured.get();
    }

    long firstStartMs() {
        return runs.values().stream().mapToLong(r -> r.firstStartMs).min().orElse(0);
    }

    long lastStartMs() {
        return runs.values().stream().mapToLong(r -> r.firstStartMs).max().orElse(0);
    }

    /** Runs beyond the first, over the given ids. */
    long extraRuns(Set<UUID> ids) {
        return runs.entrySet().stream().filter(e -> ids.contains(e.getKey()))
                .mapToLong(e -> e.getValue().count - 1).sum();
    }
}
