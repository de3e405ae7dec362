package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.TaskState;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatch, on the poll thread: dedupe (claims by (task id, attempt) in {@link AttemptClaims}) →
 * hold (records not due yet wait in the {@link HoldQueue}) → one status read per batch of records →
 * the {@link Router}'s decision (run, drop, dead-letter) → start ({@link ExecutionStarter}). Also
 * settles records as they come back ({@link Settlements.Sink}): durable ones end their claim and
 * drop the copies that followed it; abandoned ones give their copies a turn.
 *
 * <p>The claim comes before the stored state is read: a copy that finishes in between is then either
 * still claimed (seen here) or already durable (seen by the read), never neither.
 */
final class Dispatcher implements Settlements.Sink {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Reads the stored states of many tasks at once (ids without a row are absent). */
    @FunctionalInterface
    interface States {
        Map<UUID, TaskState> load(Collection<UUID> ids);
    }

    /** Starts a routed execution (the {@link ExecutionStarter}). */
    @FunctionalInterface
    interface Starter {
        void start(Polled p, Execution execution);
    }

    /**
     * @param deadLetters where records that cannot run go (a completer)
     * @param inFlight records between poll and commit, this worker's count
     */
    record Parts(Router router, HoldQueue holds, WriteAheadGate gate, Starter starter,
            Consumer<WriterEvent> deadLetters, States states, OffsetLedger ledger, AtomicInteger inFlight,
            WorkerMetrics metrics, Clock clock, RunState state) {}

    private final Parts parts;
    /** The task attempts this worker handles now, by task id (see {@link AttemptClaims}). */
    private final AttemptClaims<Polled> claims = new AttemptClaims<>();
    /** Copies whose claim was given up without an outcome: admitted again on the next turn of the loop. */
    private final List<Polled> readmit = new ArrayList<>();
    private final Retry stateReads = Retry.untilStopped();

    Dispatcher(Parts parts) {
        this.parts = parts;
    }

    /** Takes in a poll's records, in poll order. */
    void dispatch(List<Polled> polled) {
        parts.inFlight().addAndGet(polled.size());
        List<Polled> toRoute = new ArrayList<>(polled.size());
        Set<UUID> ids = new HashSet<>(polled.size() * 2);
        Instant now = parts.clock().instant();
        for (Polled p : polled) {
            admit(p, now, toRoute, ids);
        }
        route(toRoute, ids);
        startWaiting();
    }

    /**
     * Claims the record's (task id, attempt) and then holds it or adds it to {@code toRoute} (and its
     * task id to {@code ids}). A copy of an attempt claimed here waits for it; a copy of an earlier
     * attempt is dropped.
     */
    private void admit(Polled p, Instant now, List<Polled> toRoute, Set<UUID> ids) {
        if (!(p.decoded() instanceof Decoded.Ok ok)) {
            toRoute.add(p);
            return;
        }
        Task task = ok.task();
        Route route = parts.router().route(task.topic());
        ids.add(task.id());
        if (route == null) {
            toRoute.add(p); // dead-lettered by the routing; nothing to claim
            return;
        }
        AttemptClaims.Admission<Polled> admission = claims.claim(task.id(), task.attempt(), p);
        for (Polled stale : admission.stale()) {
            duplicate(stale, "attempt " + task.attempt() + " of the task arrived");
        }
        switch (admission.verdict()) {
            case STALE -> {
                duplicate(p, "attempt " + claims.claimedAttempt(task.id()) + " is in flight in this worker");
                return;
            }
            case FOLLOWS -> {
                log.debug("Task {} attempt {} ({}-{}@{}) is in flight in this worker; this copy waits for it",
                        task.id(), task.attempt(), p.record().topic(), p.record().partition(), p.offset());
                return;
            }
            case CLAIMED -> { }
        }
        if (HoldQueue.tooFarAhead(p.notBefore(), now)) {
            holdTooLong(p, route, now);
        } else if (!parts.holds().hold(p, now)) {
            toRoute.add(p);
        }
    }

    /** A record that asks to be held longer than {@link HoldQueue#MAX_HOLD}: dead-lettered with the reason. */
    private void holdTooLong(Polled p, Route route, Instant now) {
        Task task = p.task();
        claimGivenUp(task.id(), task.attempt()); // its copies are judged on their own
        String reason = ConveyorHeaders.NOT_BEFORE + " " + p.notBefore() + " is more than "
                + HoldQueue.MAX_HOLD.toSeconds() + " s after this worker's clock (" + now + "); the scheduler sends "
                + "its deliveries at most 1 s ahead, and future-dated tasks go through the delayed topic";
        log.warn("Dead-lettering task {} ({}): {}", task.id(), p.where(), reason);
        parts.deadLetters().accept(new WriterEvent.DeadLetter(p.partition(), p.offset(), p.record(), reason,
                StatusChange.dead(task, route.extension().name(), null, now, reason)));
    }

    /** Copies whose claim was given up: each is claimed and routed as if just polled. */
    void readmitCopies() {
        if (readmit.isEmpty()) {
            return;
        }
        List<Polled> copies = new ArrayList<>(readmit);
        readmit.clear();
        List<Polled> toRoute = new ArrayList<>(copies.size());
        Set<UUID> ids = new HashSet<>();
        Instant now = parts.clock().instant();
        for (Polled copy : copies) {
            if (parts.state().stopping() || !parts.ledger().current(copy.partition(), copy.offsets())) {
                giveUp(copy, false); // its partition is gone (or this worker is): the next owner gets it
            } else {
                admit(copy, now, toRoute, ids);
            }
        }
        route(toRoute, ids);
    }

    /** Routes the held records whose time has come (one status read for all of them). */
    void releaseDue() {
        List<Polled> due = parts.holds().releaseDue();
        if (due.isEmpty()) {
            return;
        }
        Set<UUID> ids = new HashSet<>();
        for (Polled p : due) {
            ids.add(p.task().id());
        }
        route(due, ids);
    }

    /** Starts the records waiting under the write-ahead bound, as many as there is room for. */
    void startWaiting() {
        parts.metrics().waiting(parts.gate().startWaiting());
    }

    /** Reads the stored states of {@code ids} (one query) and carries out the router's decision for every record. */
    private void route(List<Polled> polled, Set<UUID> ids) {
        if (polled.isEmpty()) {
            return;
        }
        parts.gate().openPass();
        long readStart = System.nanoTime();
        Map<UUID, TaskState> stored = stateReads.call(parts.state()::stopping, DataAccessException.class, log,
                "Reading task states", () -> parts.states().load(ids));
        if (!ids.isEmpty()) {
            parts.metrics().stateRead().record(System.nanoTime() - readStart, TimeUnit.NANOSECONDS);
        }
        Instant now = parts.clock().instant();
        for (Polled p : polled) {
            TaskState state = p.decoded() instanceof Decoded.Ok ok ? stored.get(ok.task().id()) : null;
            switch (parts.router().decide(p, state, claims, now)) {
                case Router.Decision.DeadLetter d -> parts.deadLetters().accept(
                        new WriterEvent.DeadLetter(p.partition(), p.offset(), p.record(), d.reason(), d.dead()));
                case Router.Decision.Stale s -> duplicate(p, s.why());
                case Router.Decision.Recorded r -> {
                    claimRecorded(p.task().id(), p.task().attempt());
                    duplicate(p, r.why());
                }
                case Router.Decision.Run run -> parts.starter().start(p, run.execution());
            }
        }
    }

    /** Drops a record that must not run (its attempt is recorded, or superseded); its offset may be committed. */
    private void duplicate(Polled p, String why) {
        parts.metrics().duplicate();
        log.info("Not running task {} attempt {} again ({}): {}", p.task().id(), p.task().attempt(), p.where(), why);
        p.offsets().durable(p.offset());
        parts.inFlight().decrementAndGet();
    }

    @Override
    public void durable(WriterEvent event) {
        parts.ledger().durable(event.partition(), event.offset());
        parts.inFlight().decrementAndGet();
        if (event instanceof WriterEvent.Finished f) {
            claimRecorded(f.execution().task().id(), f.execution().task().attempt());
        }
    }

    @Override
    public void abandoned(Execution e) {
        // Never committed past: whoever owns the partition next runs it again.
        e.offsets().abandon(e.offset());
        parts.inFlight().decrementAndGet();
        claimGivenUp(e.task().id(), e.task().attempt());
    }

    /** The outcome of (task id, attempt) is durable: the copies that waited for it are dropped. */
    private void claimRecorded(UUID taskId, int attempt) {
        for (Polled copy : claims.release(taskId, attempt)) {
            duplicate(copy, "attempt " + attempt + " was recorded from another copy");
        }
    }

    /** (task id, attempt) was given up without an outcome: the copies that waited for it get their turn. */
    private void claimGivenUp(UUID taskId, int attempt) {
        for (Polled copy : claims.release(taskId, attempt)) {
            if (parts.state().stopping()) {
                giveUp(copy, false);
            } else {
                readmit.add(copy);
            }
        }
    }

    /**
     * Gives up the records of the partitions {@code given} accepts that have not started: held and
     * waiting ones now, queued executions when their turn comes (the partitions are marked revoked).
     * Their offsets are never committed, so whoever owns the partition next gets them again.
     */
    void giveUpUnstarted(Predicate<TopicPartition> given) {
        parts.ledger().revoke(given);
        for (Polled p : parts.holds().giveUp(given)) {
            giveUp(p, true);
        }
        for (Polled p : parts.gate().giveUp(given)) {
            giveUp(p, true);
        }
        parts.metrics().waiting(parts.gate().waiting());
    }

    /** Gives up a record without running it: never committed past, so it is delivered again. */
    private void giveUp(Polled p, boolean holdsClaim) {
        p.offsets().abandon(p.offset());
        parts.inFlight().decrementAndGet();
        if (holdsClaim) {
            claimGivenUp(p.task().id(), p.task().attempt());
        }
    }

    /** Tasks claimed now (for tests). */
    int claimed() {
        return claims.size();
    }
}
