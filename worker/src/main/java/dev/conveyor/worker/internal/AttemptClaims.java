package dev.conveyor.worker.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Which delivery of each task this worker is handling: a claim on (task id, attempt), taken when its
 * record is polled and ended when its outcome is durable or the record is given up. Used by the poll
 * thread only.
 *
 * <p>Another record of a claimed task meets the claim in one of three ways, told apart by attempt:
 * <ul>
 *   <li><b>the same attempt</b>: a copy (a producer retry, a record redelivered after a rebalance
 *       while the first copy still runs here, a scheduler send repeated after a crash). It must
 *       neither run beside the claimed one nor be committed past before the claimed one is durable
 *       (a crash in between would lose the task), so it {@link Verdict#FOLLOWS follows} the claim
 *       and is settled with it: dropped once the claimed outcome is durable, routed afresh if the
 *       claimed record is given up without an outcome;</li>
 *   <li><b>a later attempt</b>: the claimed attempt's outcome is already recorded (the scheduler
 *       produces attempt n + 1 only from a recorded outcome of attempt n) and its claim is about to
 *       end, or the claimed record is a stale copy on its way to being dropped. The later attempt
 *       takes the claim over ({@link Verdict#CLAIMED}); copies that followed the earlier one are
 *       handed back as stale;</li>
 *   <li><b>an earlier attempt</b>: a stale copy of an attempt already recorded: {@link Verdict#STALE},
 *       never run.</li>
 * </ul>
 * Keying this by task id alone and dropping whatever met a claim lost tasks: a second attempt polled
 * before the first one's claim ended was dropped as if the first were still running.
 *
 * @param <C> what a polled copy is to the caller
 */
final class AttemptClaims<C> {

    /** How a polled record stands against the claims. */
    enum Verdict {
        /** The record holds its task's claim: route it. */
        CLAIMED,
        /** A copy of the attempt claimed here: it waits for that one and is settled with it. */
        FOLLOWS,
        /** An earlier attempt than the one claimed here: drop it. */
        STALE
    }

    /**
     * @param verdict how the record stands
     * @param stale copies that followed an earlier attempt of the task, now superseded by this record
     *     (only with {@link Verdict#CLAIMED}); drop them
     */
    record Admission<C>(Verdict verdict, List<C> stale) {}

    private static final class Claim<C> {
        final int attempt;
        /** Copies waiting for this one; null while there are none (almost always). */
        List<C> followers;

        Claim(int attempt) {
            this.attempt = attempt;
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Admission CLAIMED = new Admission<>(Verdict.CLAIMED, List.of());
    @SuppressWarnings("rawtypes")
    private static final Admission FOLLOWS = new Admission<>(Verdict.FOLLOWS, List.of());
    @SuppressWarnings("rawtypes")
    private static final Admission STALE = new Admission<>(Verdict.STALE, List.of());

    /** The claim of each task id: the attempt handled here and the copies waiting for it. */
    private final Map<UUID, Claim<C>> byTaskId = new HashMap<>();

    /** Claims (task id, attempt) for {@code copy}, or tells how the copy stands against the claim there is. */
    @SuppressWarnings("unchecked")
    Admission<C> claim(UUID taskId, int attempt, C copy) {
        Claim<C> current = byTaskId.get(taskId);
        if (current == null) {
            byTaskId.put(taskId, new Claim<>(attempt));
            return CLAIMED;
        }
        if (current.attempt == attempt) {
            if (current.followers == null) {
                current.followers = new ArrayList<>(2);
            }
            current.followers.add(copy);
            return FOLLOWS;
        }
        if (current.attempt > attempt) {
            return STALE;
        }
        byTaskId.put(taskId, new Claim<>(attempt));
        return new Admission<>(Verdict.CLAIMED, current.followers == null ? List.of() : current.followers);
    }

    /** Whether (task id, attempt) holds its task's claim. */
    boolean holds(UUID taskId, int attempt) {
        Claim<C> current = byTaskId.get(taskId);
        return current != null && current.attempt == attempt;
    }

    /** The attempt claimed for {@code taskId}, or 0 when none is. */
    int claimedAttempt(UUID taskId) {
        Claim<C> current = byTaskId.get(taskId);
        return current == null ? 0 : current.attempt;
    }

    /**
     * Ends the claim of (task id, attempt) and returns the copies that followed it; nothing when the
     * claim is not (or no longer) this attempt's.
     */
    List<C> release(UUID taskId, int attempt) {
        Claim<C> current = byTaskId.get(taskId);
        if (current == null || current.attempt != attempt) {
            return List.of();
        }
        byTaskId.remove(taskId);
        return current.followers == null ? List.of() : current.followers;
    }

    /** Tasks claimed now. */
    int size() {
        return byTaskId.size();
    }
}
