package dev.conveyor.worker.internal;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.TaskState;
import dev.conveyor.worker.spi.Ordering;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer thread: poll → decode → dedupe (one status read per poll) → resolve the
 * extension → dispatch to virtual threads (per-key sequencing where ordering is {@code key}) →
 * commit offsets as outcomes become durable. The only thread that touches the Kafka consumer.
 *
 * <p>A record with a {@code conveyor_not_before} header in the future (the scheduler sends due
 * deliveries a little ahead) is <em>held</em>: claimed and counted in flight at once, but its status
 * read and its run wait until that time, so a cancel in between is seen and the task never starts
 * early. Under {@code key} ordering a held record takes its place in its key's sequence when it is
 * released, as if it had been produced at its not-before time (which is when the scheduler used to
 * produce it): records of the same key polled after it do not wait for it, and held records of one
 * key run in not-before order. Held records are never committed past; on a rebalance or stop they
 * are given up (redelivered).
 *
 * <p>Memory is bounded by {@code worker.max-in-flight}: when that many records are between poll
 * and commit (held ones included), the assigned partitions are paused until half of them are done.
 *
 * <p>Executions never run far ahead of their status writes: while {@code writeAhead} outcomes are
 * pending (executions running, or about to start on an idle key, plus outcomes waiting for a status
 * writer or being written), newly polled records wait in a queue, in poll order, and start as
 * batches commit. So the status tables stay within a batch or so of the work, and the countdown of
 * a short reschedule is not used up waiting behind a burst's writes. Records waiting for their
 * key's turn, a rate limiter or a concurrency slot do not count (a hot key or a throttled topic
 * does not hold up the others); scheduler deliveries whose time has come (held or not) and
 * interactive records never wait there.
 */
final class PollLoop implements Runnable, ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(50);
    /** Poll timeout while records wait for the status writers: room is looked for this often. */
    private static final Duration WAITING_POLL = Duration.ofMillis(5);
    /**
     * Longest a record may ask to be held ({@code conveyor_not_before}): the scheduler sends 1 s
     * ahead; a record asking for more is not one of its deliveries (future-dated tasks go through
     * the delayed topic) and is dead-lettered rather than left blocking its partition's commits.
     */
    static final Duration MAX_HOLD = Duration.ofSeconds(60);
    /**
     * Held records are released at most this often (one status read per release): records due
     * within one tick share a read instead of costing one each.
     */
    private static final long RELEASE_TICK_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);
    /** A poll of at least {@code 2 × DECODE_SLICE_MIN} records is decoded in up to {@code DECODE_SLICES} parallel slices. */
    private static final int DECODE_SLICES = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final int DECODE_SLICE_MIN = 128;

    /**
     * One polled record. {@code offsets}: its partition's offsets of the assignment it was polled in
     * (a partition revoked and assigned again gets new ones, and a record of the old assignment must
     * not settle an offset of the new one). {@code notBefore}: its {@code conveyor_not_before} time,
     * or null. {@code readyMs}: when the record could first run (its timestamp, or its not-before
     * time). {@code due}: a scheduler's delivery (it carries {@code conveyor_not_before}) whose time
     * has come; it starts without waiting for the status writers to catch up.
     */
    private record Polled(TopicPartition partition, PartitionOffsets offsets, ConsumerRecord<byte[], byte[]> record,
            Decoded decoded, Instant notBefore, long readyMs, boolean due) {
        Polled(TopicPartition partition, PartitionOffsets offsets, ConsumerRecord<byte[], byte[]> record,
                Decoded decoded, Instant notBefore) {
            this(partition, offsets, record, decoded, notBefore, record.timestamp(), notBefore != null);
        }

        Polled readyAt(Instant at) {
            return new Polled(partition, offsets, record, decoded, notBefore, Math.max(readyMs, at.toEpochMilli()), true);
        }

        /** The task, for a record that decoded (every record that can hold or follow a claim). */
        Task task() {
            return ((Decoded.Ok) decoded).task();
        }
    }

    /** A polled record waiting for its {@code conveyor_not_before} time. */
    private record Held(Polled polled, Task task, Instant releaseAt, long seq) {}

    /** A routed record waiting for the status writers to catch up before it starts. */
    private record Waiting(Polled polled, Task task, Runnable start) {}

    private final Consumer<byte[], byte[]> consumer;
    private final Set<String> topics;
    private final Map<String, Route> routes;
    private final TaskRecordCodec codec;
    private final StateReader states;
    private final ExtensionConfigCache configs;
    private final StatusWriters writer;
    private final KeyedSequencer sequencer;
    private final ExecutorService executions;
    private final Semaphore globalPermits;
    private final BlockingQueue<WriterEvent> durable;
    /** The task attempts this worker handles now, by task id (see {@link AttemptClaims}). */
    private final AttemptClaims<Polled> claims = new AttemptClaims<>();
    /** Executions that ended without an outcome (worker stopping, or an error inside the worker). */
    private final java.util.Queue<Execution> abandoned = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Copies whose claim was given up without an outcome: admitted again on the next turn of the loop. */
    private final List<Polled> readmit = new ArrayList<>();
    private final AtomicInteger inFlight;
    private final WorkerMetrics metrics;
    private final Clock clock;
    private final int maxInFlight;
    private final Duration shutdownGrace;
    private final Map<TopicPartition, PartitionOffsets> offsets = new HashMap<>();
    private final CountDownLatch firstAssignment = new CountDownLatch(1);
    /** Held records, by release time then poll order. */
    private final java.util.PriorityQueue<Held> held = new java.util.PriorityQueue<>(
            java.util.Comparator.comparing(Held::releaseAt).thenComparingLong(Held::seq));
    private long heldSeq;
    /** Routed records waiting for room under {@link #writeAhead}, in poll order. */
    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    /** Most pending outcomes (see {@link #pending}); more records wait in {@link #waiting}. */
    private final int writeAhead;
    /** Records that may still start in the current routing pass (see {@link #startWaiting}). */
    private int room;
    /** Records handed to the sequencer on an idle key (or without one) whose execution has not begun. */
    private final AtomicInteger unbegun = new AtomicInteger();
    /** Executions running now (holding their concurrency slot), up to handing their outcome to a writer. */
    private final AtomicInteger running = new AtomicInteger();
    private long lastReleaseNanos;
    private volatile boolean stopping;
    private volatile boolean aborted;
    private boolean paused;

    PollLoop(Consumer<byte[], byte[]> consumer, Set<String> topics, Map<String, Route> routes, TaskRecordCodec codec,
            StateReader states, ExtensionConfigCache configs, StatusWriters writer, ExecutorService executions,
            Semaphore globalPermits, BlockingQueue<WriterEvent> durable, AtomicInteger inFlight, WorkerMetrics metrics, Clock clock, int maxInFlight, int writeAhead,
            Duration shutdownGrace) {
        this.consumer = consumer;
        this.topics = topics;
        this.routes = routes;
        this.codec = codec;
        this.states = states;
        this.configs = configs;
        this.writer = writer;
        this.sequencer = new KeyedSequencer(executions);
        this.executions = executions;
        this.globalPermits = globalPermits;
        this.durable = durable;
        this.inFlight = inFlight;
        this.metrics = metrics;
        this.clock = clock;
        this.maxInFlight = maxInFlight;
        this.writeAhead = writeAhead;
        this.shutdownGrace = shutdownGrace;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(topics, this);
            while (!stopping) {
                commitDurable();
                readmitCopies();
                releaseDue();
                startWaiting();
                flowControl();
                updateLag();
                // While paused nothing is fetched: wait for outcomes instead of blocking in poll, so
                // the records in flight are committed (and fetching resumes) as soon as they are durable.
                Duration wait = untilRelease();
                if (!waiting.isEmpty() && wait.compareTo(WAITING_POLL) > 0) {
                    wait = WAITING_POLL; // outcomes becoming durable make room: look again soon
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(paused ? Duration.ZERO : wait);
                if (!records.isEmpty()) {
                    dispatch(records);
                } else if (paused) {
                    awaitDurable(wait);
                }
            }
            if (!aborted) {
                // Intake stops: records not started yet are left to the next owner; running ones may finish.
                giveUpWaiting(null);
                drain(shutdownGrace);
            }
        } catch (WakeupException e) {
            if (!stopping) {
                log.error("Worker consumer woken up unexpectedly; stopping", e);
            }
        } catch (RuntimeException e) {
            log.error("Worker poll loop failed; stopping. Uncommitted records will be redelivered", e);
        } finally {
            states.close();
            try {
                consumer.close(aborted ? Duration.ZERO : Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("Closing the consumer failed", e);
            }
        }
    }

    void stop() {
        stopping = true;
    }

    /** Stop at once without committing anything more (a crash, for tests and fatal errors). */
    void abort() {
        aborted = true;
        stopping = true;
        consumer.wakeup();
    }

    boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return firstAssignment.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    // ---- steps ---------------------------------------------------------------------------

    private void dispatch(ConsumerRecords<byte[], byte[]> records) {
        int n = records.count();
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(n);
        // Partition by partition, so the TopicPartition and its offsets are looked up once per partition.
        List<TopicPartition> partitionOf = new ArrayList<>(n);
        List<PartitionOffsets> offsetsOf = new ArrayList<>(n);
        for (TopicPartition tp : records.partitions()) {
            PartitionOffsets po = offsets.computeIfAbsent(tp, k -> new PartitionOffsets());
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                list.add(r);
                partitionOf.add(tp);
                offsetsOf.add(po);
                po.dispatched(r.offset());
            }
        }
        inFlight.addAndGet(list.size());
        Decoded[] decoded = decodeAll(list);
        List<Polled> polled = new ArrayList<>(list.size());
        Set<UUID> ids = new HashSet<>(list.size() * 2);
        Instant polledAt = clock.instant();
        for (int i = 0; i < list.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = list.get(i);
            Instant notBefore = decoded[i] instanceof Decoded.Ok ? notBefore(r) : null;
            admit(new Polled(partitionOf.get(i), offsetsOf.get(i), r, decoded[i], notBefore), polledAt, polled, ids);
        }
        route(polled, ids);
        startWaiting();
    }

    /**
     * Claims the record's (task id, attempt) and then holds it or adds it to {@code toRoute} (and its
     * task id to {@code ids}, whose stored states the routing reads). A copy of an attempt claimed here
     * waits for it; a copy of an earlier attempt is dropped. The claim comes before the stored state is
     * read: a copy that finishes in between is then either still claimed (seen here) or already durable
     * (seen by the read), never neither.
     */
    private void admit(Polled p, Instant now, List<Polled> toRoute, Set<UUID> ids) {
        if (!(p.decoded() instanceof Decoded.Ok ok)) {
            toRoute.add(p);
            return;
        }
        Task task = ok.task();
        Route route = routes.get(task.topic());
        ids.add(task.id());
        if (route == null) {
            toRoute.add(p); // dead-lettered by the routing; nothing to claim
            return;
        }
        AttemptClaims.Admission<Polled> admission = claims.claim(task.id(), task.attempt(), p);
        for (Polled stale : admission.stale()) {
            duplicate(stale, stale.task(), "attempt " + task.attempt() + " of the task arrived");
        }
        switch (admission.verdict()) {
            case STALE -> {
                duplicate(p, task, "attempt " + claims.claimedAttempt(task.id()) + " is in flight in this worker");
                return;
            }
            case FOLLOWS -> {
                log.debug("Task {} attempt {} ({}-{}@{}) is in flight in this worker; this copy waits for it",
                        task.id(), task.attempt(), p.record().topic(), p.record().partition(), p.record().offset());
                return;
            }
            case CLAIMED -> { }
        }
        Instant notBefore = p.notBefore();
        if (notBefore != null && notBefore.isAfter(now.plus(MAX_HOLD))) {
            holdTooLong(p, task, route, notBefore, now);
            return;
        }
        if (hold(p, task, notBefore, now)) {
            return;
        }
        toRoute.add(p);
    }

    /** Copies whose claim was given up: each is claimed and routed as if just polled. */
    private void readmitCopies() {
        if (readmit.isEmpty()) {
            return;
        }
        List<Polled> copies = new ArrayList<>(readmit);
        readmit.clear();
        List<Polled> toRoute = new ArrayList<>(copies.size());
        Set<UUID> ids = new HashSet<>();
        Instant now = clock.instant();
        for (Polled copy : copies) {
            if (stopping || offsets.get(copy.partition()) != copy.offsets()) {
                giveUp(copy, false); // its partition is gone (or this worker is): the next owner gets it
            } else {
                admit(copy, now, toRoute, ids);
            }
        }
        route(toRoute, ids);
    }

    /** The outcome of (task id, attempt) is durable: the copies that waited for it are dropped. */
    private void claimRecorded(UUID taskId, int attempt) {
        for (Polled copy : claims.release(taskId, attempt)) {
            duplicate(copy, copy.task(), "attempt " + attempt + " was recorded from another copy");
        }
    }

    /** (task id, attempt) was given up without an outcome: the copies that waited for it get their turn. */
    private void claimGivenUp(UUID taskId, int attempt) {
        for (Polled copy : claims.release(taskId, attempt)) {
            if (stopping) {
                giveUp(copy, false);
            } else {
                readmit.add(copy);
            }
        }
    }

    /** Reads the stored states of {@code ids} (one query) and routes every polled record. */
    private void route(List<Polled> polled, Set<UUID> ids) {
        if (polled.isEmpty()) {
            return;
        }
        room = writeAhead - pending();
        long readStart = System.nanoTime();
        Map<UUID, TaskState> stored = loadStates(ids);
        if (!ids.isEmpty()) {
            metrics.stateRead().record(System.nanoTime() - readStart, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        Instant now = clock.instant();
        for (Polled p : polled) {
            switch (p.decoded()) {
                case Decoded.Poison poison -> writer.submit(new WriterEvent.DeadLetter(p.partition(), p.record().offset(),
                        p.record(), poison.reason(), poison.taskId() == null ? null
                                : StatusChange.deadRecord(poison.taskId(), p.record().topic(), p.record().value(), now,
                                        poison.reason())));
                case Decoded.Ok ok -> route(p, ok.task(), stored.get(ok.task().id()), now);
            }
        }
    }

    /**
     * Holds the record if its {@code conveyor_not_before} time is in the future. It enters its key's
     * sequence only when released: a later record of the same key is not held up by it (the
     * scheduler's parallel sends do not produce a key's deliveries in due order, and before
     * send-ahead they reached the partition at their due time, after such records).
     */
    private boolean hold(Polled p, Task task, Instant notBefore, Instant now) {
        if (notBefore == null || !notBefore.isAfter(now)) {
            return false;
        }
        held.add(new Held(p.readyAt(notBefore), task, notBefore, heldSeq++));
        return true;
    }

    /** A record that asks to be held longer than {@link #MAX_HOLD}: dead-lettered with the reason. */
    private void holdTooLong(Polled p, Task task, Route route, Instant notBefore, Instant now) {
        claimGivenUp(task.id(), task.attempt()); // its copies are judged on their own
        String reason = ConveyorHeaders.NOT_BEFORE + " " + notBefore + " is more than " + MAX_HOLD.toSeconds()
                + " s after this worker's clock (" + now + "); the scheduler sends its deliveries at most "
                + "1 s ahead, and future-dated tasks go through the delayed topic";
        log.warn("Dead-lettering task {} ({}-{}@{}): {}", task.id(), p.record().topic(), p.record().partition(),
                p.record().offset(), reason);
        writer.submit(new WriterEvent.DeadLetter(p.partition(), p.record().offset(), p.record(), reason,
                StatusChange.dead(task, route.extension().name(), null, now, reason)));
    }

    /** The record's {@code conveyor_not_before} time, or null without one (or with one that does not parse). */
    private static Instant notBefore(ConsumerRecord<byte[], byte[]> record) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(ConveyorHeaders.NOT_BEFORE);
        if (h == null || h.value() == null) {
            return null;
        }
        String text = new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            log.warn("Ignoring {} '{}' of {}-{}@{}: not an RFC 3339 time", ConveyorHeaders.NOT_BEFORE, text,
                    record.topic(), record.partition(), record.offset());
            return null;
        }
    }

    /** Routes the held records whose time has come (one status read for all of them). */
    private void releaseDue() {
        if (held.isEmpty() || System.nanoTime() - lastReleaseNanos < RELEASE_TICK_NANOS) {
            return;
        }
        Instant now = clock.instant();
        if (held.peek().releaseAt().isAfter(now)) {
            return;
        }
        lastReleaseNanos = System.nanoTime();
        List<Polled> due = null;
        Set<UUID> ids = null;
        while (!held.isEmpty() && !held.peek().releaseAt().isAfter(now)) {
            Held h = held.poll();
            if (due == null) {
                due = new ArrayList<>();
                ids = new HashSet<>();
            }
            due.add(h.polled());
            ids.add(h.task().id());
        }
        if (due != null) {
            route(due, ids);
        }
    }

    /** Outcomes on their way to the database: executions about to begin or running, plus the writers' backlog. */
    private int pending() {
        return unbegun.get() + running.get() + writer.backlog();
    }

    /**
     * Starts waiting records, in order, as many as there is room for under {@link #writeAhead}. Each
     * record started takes room for the rest of the pass, also one that queues behind its key and so
     * is not counted in {@link #pending} afterwards: one pass never starts more than the room.
     */
    private void startWaiting() {
        room = writeAhead - pending();
        while (!waiting.isEmpty() && room > 0) {
            room--;
            waiting.poll().start().run();
        }
        metrics.waiting(waiting.size());
    }

    /**
     * How long the next poll may block: until the next held record is due (and the release tick
     * has passed), at most the poll timeout.
     */
    private Duration untilRelease() {
        Held next = held.peek();
        if (next == null) {
            return POLL_TIMEOUT;
        }
        long ms = Duration.between(clock.instant(), next.releaseAt()).toMillis() + 1;
        long tickLeftMs = (RELEASE_TICK_NANOS - (System.nanoTime() - lastReleaseNanos)) / 1_000_000L + 1;
        return Duration.ofMillis(Math.max(1, Math.min(POLL_TIMEOUT.toMillis(), Math.max(ms, tickLeftMs))));
    }

    /**
     * Gives up the records of {@code partitions} (all of them when null) that have not started: held
     * and waiting ones now, queued executions when their turn comes (the partitions are marked
     * revoked). Their offsets are never committed, so whoever owns the partition next gets them again.
     */
    private void giveUpWaiting(Collection<TopicPartition> partitions) {
        for (Map.Entry<TopicPartition, PartitionOffsets> e : offsets.entrySet()) {
            if (partitions == null || partitions.contains(e.getKey())) {
                e.getValue().revoke();
            }
        }
        for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (partitions == null || partitions.contains(h.polled().partition())) {
                it.remove();
                giveUp(h.polled(), true);
            }
        }
        for (java.util.Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (partitions == null || partitions.contains(w.polled().partition())) {
                it.remove();
                giveUp(w.polled(), true);
            }
        }
        metrics.waiting(waiting.size());
    }

    /** Gives up a record without running it: never committed past, so it is delivered again. */
    private void giveUp(Polled p, boolean holdsClaim) {
        p.offsets().abandon(p.record().offset());
        inFlight.decrementAndGet();
        if (holdsClaim) {
            claimGivenUp(p.task().id(), p.task().attempt());
        }
    }

    /**
     * Decodes a poll's records, a large poll in parallel slices on the execution threads: decoding
     * is most of the poll thread's own work, and the poll thread is what bounds a worker's drain rate.
     */
    private Decoded[] decodeAll(List<ConsumerRecord<byte[], byte[]>> list) {
        int n = list.size();
        Decoded[] decoded = new Decoded[n];
        int slices = Math.min(DECODE_SLICES, n / DECODE_SLICE_MIN);
        if (slices < 2) {
            for (int i = 0; i < n; i++) {
                decoded[i] = codec.decode(list.get(i));
            }
            return decoded;
        }
        List<java.util.concurrent.Future<?>> others = new ArrayList<>(slices - 1);
        for (int s = 1; s < slices; s++) {
            int from = n * s / slices;
            int to = n * (s + 1) / slices;
            others.add(executions.submit(() -> {
                for (int i = from; i < to; i++) {
                    decoded[i] = codec.decode(list.get(i));
                }
            }));
        }
        for (int i = 0, to = n / slices; i < to; i++) {
            decoded[i] = codec.decode(list.get(i));
        }
        for (java.util.concurrent.Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while decoding a poll", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("decoding a poll failed", e.getCause());
            }
        }
        return decoded;
    }

    private void route(Polled p, Task task, TaskState state, Instant now) {
        Route route = routes.get(task.topic());
        if (route == null) {
            String reason = "no extension handles topic " + task.topic();
            writer.submit(new WriterEvent.DeadLetter(p.partition(), p.record().offset(), p.record(), reason,
                    StatusChange.dead(task, null, state, now, reason)));
            return;
        }
        if (!claims.holds(task.id(), task.attempt())) {
            // A later attempt of the task was polled while this record was held: this one is stale.
            duplicate(p, task, "attempt " + claims.claimedAttempt(task.id()) + " of the task arrived meanwhile");
            return;
        }
        if (state != null && state.supersedes(task.attempt())) {
            claimRecorded(task.id(), task.attempt());
            duplicate(p, task, "stored " + state.status().wireName() + " at attempt " + state.attempt());
            return;
        }
        Execution execution = new Execution(p.partition(), p.offsets(), p.record().offset(), p.readyMs(),
                task.withConfig(configs.get(route.extension().name())), route, state);
        byte[] sequenceKey = route.ordering() == Ordering.KEY ? p.record().key() : null;
        Runnable start = () -> {
            // Counted until it begins, unless it will queue behind its key (a hot key must not hold up the rest).
            boolean counted = !sequencer.busy(p.partition(), sequenceKey);
            if (counted) {
                unbegun.incrementAndGet();
            }
            sequencer.submit(p.partition(), sequenceKey, () -> {
                if (counted) {
                    unbegun.decrementAndGet();
                }
                execute(execution);
            });
        };
        // Scheduler deliveries whose time has come, and interactive records (a caller is waiting), never wait.
        boolean mayWait = !p.due() && route.kind() != Route.Kind.INTERACTIVE;
        if (mayWait && (!waiting.isEmpty() || room <= 0)) {
            waiting.add(new Waiting(p, task, start));
        } else {
            if (mayWait) {
                room--;
            }
            start.run();
        }
    }

    /** Drops a record that must not run (its attempt is recorded, or superseded); its offset may be committed. */
    private void duplicate(Polled p, Task task, String why) {
        metrics.duplicate();
        log.info("Not running task {} attempt {} again ({}-{}@{}): {}", task.id(), task.attempt(), p.record().topic(),
                p.record().partition(), p.record().offset(), why);
        p.offsets().durable(p.record().offset());
        inFlight.decrementAndGet();
    }

    /** Runs on a virtual thread. */
    private void execute(Execution e) {
        Route route = e.route;
        if (e.offsets.revoked()) {
            abandoned.add(e); // its partition is being handed over before it started: the next owner runs it
            return;
        }
        TaskLogContext.set(e.task);
        try {
            // Over the topic's rate the task waits here, before taking a concurrency slot.
            if (route.rateLimiter() != null && !route.rateLimiter().acquirePermission()) {
                throw new InterruptedException("stopped while waiting for the rate limiter");
            }
            globalPermits.acquire();
            try {
                if (!route.bulkhead().tryAcquirePermission()) {
                    throw new InterruptedException("stopped while waiting for a concurrency slot");
                }
                if (e.offsets.revoked()) {
                    route.bulkhead().onComplete();
                    throw new InterruptedException("partition revoked while waiting for a concurrency slot");
                }
                running.incrementAndGet();
                try {
                    run(e);
                } finally {
                    running.decrementAndGet();
                    route.bulkhead().onComplete();
                }
            } finally {
                globalPermits.release();
            }
        } catch (InterruptedException | Invoker.Abandoned ex) {
            // Worker stopping or partition revoked: the outcome is unknown, the offset stays uncommitted,
            // the task runs again later.
            writer.stoppedRunning(e);
            abandoned.add(e);
        } catch (Throwable t) {
            // Nothing above should throw; if it does, leave the record uncommitted rather than lose it.
            writer.stoppedRunning(e);
            abandoned.add(e);
            log.error("Execution of task {} failed inside the worker; it will be redelivered", e.task.id(), t);
        } finally {
            TaskLogContext.clear();
        }
    }

    private void run(Execution e) throws Invoker.Abandoned {
        Task task = e.task;
        e.startedAt = clock.instant();
        if (e.recordTimestamp >= 0) {
            metrics.pickup().record(Math.max(0, e.startedAt.toEpochMilli() - e.recordTimestamp),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        writer.started(e);
        Invoker.Invocation invocation;
        if (e.route.kind() == Route.Kind.INTERACTIVE && task.deadline() != null && task.deadline().isBefore(e.startedAt)) {
            invocation = new Invoker.Invocation(new Outcome.Threw("DeadlineExceeded",
                    "the caller's deadline " + task.deadline() + " passed before the task started"), null);
        } else if (e.route.breaker() != null && !e.route.breaker().tryAcquirePermission()) {
            invocation = circuitOpen(e.route);
        } else {
            long t0 = System.nanoTime();
            try {
                invocation = Invoker.invokeInContext(e.route, task); // execute() set the log context
            } catch (Invoker.Abandoned abandoned) {
                if (e.route.breaker() != null) {
                    e.route.breaker().releasePermission();
                }
                throw abandoned;
            }
            recordForBreaker(e.route, invocation.outcome(), System.nanoTime() - t0);
        }
        if (aborted || (stopping && invocation.outcome() instanceof Outcome.Threw t
                && t.exceptionType().equals(InterruptedException.class.getName()))) {
            // Interrupted because this worker is going away, not because the task failed: leave it
            // undecided so the next owner runs it.
            throw new Invoker.Abandoned(null);
        }
        e.finishedAt = clock.instant();
        e.invocation = invocation;
        e.next = NextStatus.of(invocation.outcome(), task.attempt(), e.reschedulesBefore(), e.route.retry(),
                ThreadLocalRandom.current().nextDouble());
        metrics.execution().record(Duration.between(e.startedAt, e.finishedAt));
        writer.stoppedRunning(e);
        writer.reply(e);
        writer.submit(new WriterEvent.Finished(e));
    }

    /** The task is not run: background tasks are rescheduled for the breaker's wait, interactive ones answered at once. */
    private static Invoker.Invocation circuitOpen(Route route) {
        Duration wait = Duration.ofMillis(route.breaker().getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState()
                .apply(1));
        if (route.kind() == Route.Kind.INTERACTIVE) {
            return new Invoker.Invocation(new Outcome.Threw("CircuitBreakerOpen", "circuit open for topic "
                    + route.topic() + "; the extension was not called"), null);
        }
        return new Invoker.Invocation(new Outcome.CircuitOpen(wait), null);
    }

    /** Exceptions and timeouts count as failures; answers (including fail and skip) as successes. */
    private static void recordForBreaker(Route route, Outcome outcome, long nanos) {
        if (route.breaker() == null) {
            return;
        }
        switch (outcome) {
            case Outcome.Threw t -> route.breaker().onError(nanos, java.util.concurrent.TimeUnit.NANOSECONDS,
                    new ExtensionFailure(t.exceptionType() + ": " + t.message()));
            case Outcome.TimedOut t -> route.breaker().onError(nanos, java.util.concurrent.TimeUnit.NANOSECONDS,
                    new ExtensionFailure("timed out after " + t.timeout()));
            default -> route.breaker().onSuccess(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** What the circuit breaker is told when an execution failed (it needs a Throwable). */
    private static final class ExtensionFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ExtensionFailure(String message) {
            super(message, null, false, false);
        }
    }

    private Map<UUID, TaskState> loadStates(Collection<UUID> ids) {
        long delayMs = 100;
        while (true) {
            try {
                return states.load(ids);
            } catch (DataAccessException e) {
                if (stopping) {
                    throw e;
                }
                log.warn("Reading task states failed ({}); retrying in {} ms", e.getMessage(), delayMs);
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delayMs = Math.min(delayMs * 2, 5_000);
            }
        }
    }

    private void commitDurable() {
        applyDurable();
        Map<TopicPartition, OffsetAndMetadata> commits = committable(offsets.keySet());
        if (!commits.isEmpty()) {
            consumer.commitAsync(commits, (committed, error) -> {
                if (error != null) {
                    // Runs on this thread (inside poll): offer the positions again with the next commit.
                    log.warn("Offset commit failed; retrying with the next commit: {}", error.getMessage());
                    commits.forEach((tp, position) -> {
                        PartitionOffsets po = offsets.get(tp);
                        if (po != null) {
                            po.commitFailed(position.offset());
                        }
                    });
                }
            });
        }
    }

    private void applyDurable() {
        WriterEvent event;
        while ((event = durable.poll()) != null) {
            markDurable(event);
        }
        Execution e;
        while ((e = abandoned.poll()) != null) {
            // Never committed past: whoever owns the partition next runs it again.
            e.offsets.abandon(e.offset);
            inFlight.decrementAndGet();
            claimGivenUp(e.task.id(), e.task.attempt());
        }
    }

    private void markDurable(WriterEvent event) {
        PartitionOffsets po = offsets.get(event.partition());
        if (po != null) {
            po.durable(event.offset());
        }
        inFlight.decrementAndGet();
        if (event instanceof WriterEvent.Finished f) {
            claimRecorded(f.execution().task.id(), f.execution().task.attempt());
        }
    }

    /** Waits up to {@code timeout} for one outcome to become durable. */
    private void awaitDurable(Duration timeout) {
        try {
            WriterEvent event = durable.poll(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            if (event != null) {
                markDurable(event);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionOffsets po = offsets.get(tp);
            if (po != null) {
                long position = po.takeCommittable();
                if (position >= 0) {
                    commits.put(tp, new OffsetAndMetadata(position));
                }
            }
        }
        return commits;
    }

    private long lagUpdatedAt;

    /** About once a second: this worker's lag per topic, from the consumer's own fetch positions (no request). */
    private void updateLag() {
        long now = System.nanoTime();
        if (now - lagUpdatedAt < 1_000_000_000L) {
            return;
        }
        lagUpdatedAt = now;
        Map<String, Long> perTopic = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            java.util.OptionalLong lag = consumer.currentLag(tp);
            perTopic.merge(tp.topic(), lag.isPresent() ? lag.getAsLong() : 0L, Long::sum);
        }
        for (String topic : topics) {
            metrics.lag(topic, perTopic.getOrDefault(topic, 0L));
        }
    }

    private void flowControl() {
        if (!paused && inFlight.get() >= maxInFlight) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && inFlight.get() <= maxInFlight / 2) {
            consumer.resume(consumer.paused());
            paused = false;
        }
    }

    /** Waits (up to {@code grace}) for the given partitions' outstanding outcomes, then commits them. */
    private void awaitAndCommit(Collection<TopicPartition> partitions, Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline && !aborted) {
            applyDurable();
            boolean outstanding = false;
            for (TopicPartition tp : partitions) {
                PartitionOffsets po = offsets.get(tp);
                if (po != null && !po.isEmpty()) {
                    outstanding = true;
                    break;
                }
            }
            if (!outstanding) {
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (aborted) {
            return;
        }
        // Every partition's position, also one an earlier commit already sent: that commit may have failed.
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionOffsets po = offsets.get(tp);
            long position = po == null ? -1 : po.position();
            if (position >= 0) {
                commits.put(tp, new OffsetAndMetadata(position));
            }
        }
        if (!commits.isEmpty()) {
            try {
                consumer.commitSync(commits, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("Final offset commit failed (the records may be delivered again): {}", e.getMessage());
            }
        }
    }

    private void drain(Duration grace) {
        awaitAndCommit(new ArrayList<>(offsets.keySet()), grace);
        int left = inFlight.get();
        if (left > 0) {
            log.warn("{} execution(s) did not finish within the shutdown grace of {}; they will be redelivered", left,
                    grace);
        }
    }

    // ---- rebalance ---------------------------------------------------------------------------

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (aborted || partitions.isEmpty()) {
            return;
        }
        // Held records and executions not yet started are left to the next owner. Then give the running
        // tasks of these partitions a short while to be recorded, so the next owner does not run them
        // again; whatever is not recorded in time is redelivered (at-least-once). This blocks the poll
        // thread (the partitions are handed over when this returns), so it must be short.
        giveUpWaiting(partitions);
        awaitAndCommit(partitions, Duration.ofSeconds(Math.min(10, shutdownGrace.toSeconds())));
        partitions.forEach(offsets::remove);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        giveUpWaiting(partitions);
        partitions.forEach(offsets::remove);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (paused && !partitions.isEmpty()) {
            consumer.pause(partitions);
        }
        if (!partitions.isEmpty()) {
            firstAssignment.countDown();
        }
    }
}
