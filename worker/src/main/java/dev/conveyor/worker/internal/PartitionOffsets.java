package dev.conveyor.worker.internal;

import java.util.TreeMap;

/**
 * Offsets of one partition between poll and commit. The committable position is the lowest
 * offset whose outcome is not yet durable (or one past the highest, when all are): a gap is never
 * skipped, so a crash redelivers every record whose outcome might not be recorded.
 * Used by the poll thread only, except {@link #revoked}, which executions read.
 */
final class PartitionOffsets {

    /** Dispatched offsets, true once their outcome is durable. */
    private final TreeMap<Long, Boolean> pending = new TreeMap<>();
    private long next = -1;
    private long committed = -1;
    /** Lowest offset given up without an outcome: nothing at or past it is ever committed. */
    private long ceiling = Long.MAX_VALUE;
    /**
     * Set when the partition is being revoked: its executions that have not started do not start
     * (the next owner runs them), so the revocation waits only for the ones already running.
     */
    private volatile boolean revoked;

    void dispatched(long offset) {
        pending.put(offset, Boolean.FALSE);
        next = Math.max(next, offset + 1);
    }

    void durable(long offset) {
        pending.computeIfPresent(offset, (k, v) -> Boolean.TRUE);
    }

    /**
     * A dispatched record given up without an outcome (held, not yet run, when its partition is
     * revoked): it no longer counts as outstanding, and the committed position never passes it, so
     * the partition's next owner gets it again.
     */
    void abandon(long offset) {
        if (pending.remove(offset) != null) {
            ceiling = Math.min(ceiling, offset);
        }
    }

    /**
     * The position to commit if it moved since the last call, else -1. Drops the durable head.
     */
    long takeCommittable() {
        long position = position();
        if (position > committed) {
            committed = position;
            return position;
        }
        return -1;
    }

    /**
     * The position to commit now (the lowest offset not durable, or one past the highest), whether or
     * not it moved; -1 when nothing was dispatched. For the final commit of a partition being given up.
     */
    long position() {
        while (!pending.isEmpty() && pending.firstEntry().getValue()) {
            pending.pollFirstEntry();
        }
        return next < 0 ? -1 : Math.min(ceiling, pending.isEmpty() ? next : pending.firstKey());
    }

    /**
     * The commit of {@code position} failed (a rebalance under way, the coordinator moving): the next
     * {@link #takeCommittable} offers it again, so a partition that goes quiet is not left behind.
     */
    void commitFailed(long position) {
        if (committed == position) {
            committed = -1;
        }
    }

    void revoke() {
        revoked = true;
    }

    boolean revoked() {
        return revoked;
    }

    /** Records dispatched whose outcome is not yet durable. */
    int outstanding() {
        int n = 0;
        for (Boolean done : pending.values()) {
            if (!done) {
                n++;
            }
        }
        return n;
    }

    boolean isEmpty() {
        return pending.values().stream().allMatch(Boolean::booleanValue);
    }
}
