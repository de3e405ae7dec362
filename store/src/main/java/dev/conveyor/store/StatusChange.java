package dev.conveyor.store;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One task's move to a new status, ready for {@link StatusStore#apply}. Built only through the
 * named factories, so an impossible combination (a countdown on a done task, a finished task
 * without a start) cannot be expressed.
 *
 * <p>A change carries the whole row for the first write of a task (the worker may be the first
 * to see a task published straight to Kafka) and the transitions to append. The store applies it
 * only if it moves the stored row forward ({@link TaskStatus#isForward}); otherwise it is
 * dropped, transitions included, so replaying a change is harmless.
 */
public final class StatusChange {

    private final UUID id;
    private final String topic;
    private final TaskKind kind;
    private final String type;
    private final String extension;
    private final TaskStatus status;
    private final int attempt;
    private final int reschedules;
    private final String output;
    private final String resultJson;
    private final byte[] payload;
    private final String contentType;
    private final String callbackUrl;
    private final String traceId;
    private final String idempotencyKey;
    private final byte[] kafkaKey;
    private final Instant createdAt;
    private final Instant at;
    private final Instant startedAt;
    private final Instant finishedAt;
    private final Instant nextRunAt;
    private final List<Transition> transitions;
    private final ScheduledDelivery delivery;

    private StatusChange(Task task, UUID id, String topic, String extension, TaskStatus status, int attempt,
            int reschedules, String output, String resultJson, Instant at, Instant startedAt, Instant nextRunAt,
            List<Transition> transitions, ScheduledDelivery delivery, byte[] payload) {
        this.id = id;
        this.topic = topic;
        this.kind = task == null ? TaskKind.BACKGROUND : task.kind();
        this.type = task == null ? topic : task.type();
        this.extension = extension;
        this.status = status;
        this.attempt = attempt;
        this.reschedules = reschedules;
        this.output = output;
        this.resultJson = resultJson;
        this.payload = task == null ? payload : task.payload();
        this.contentType = task == null ? null : task.contentType();
        this.callbackUrl = task == null ? null : task.callbackUrl();
        this.traceId = task == null ? null : task.traceId();
        this.idempotencyKey = task == null ? null : task.idempotencyKey();
        this.kafkaKey = task == null ? null : task.keyBytes();
        this.createdAt = task == null ? at : task.createdAt();
        this.at = at;
        this.startedAt = startedAt;
        this.finishedAt = status.isTerminal() ? at : null;
        this.nextRunAt = nextRunAt;
        this.transitions = List.copyOf(transitions);
        this.delivery = delivery;
    }

    /**
     * An extension started executing delivery {@code task.attempt()} at {@code at}.
     *
     * @param previous what the table said before, or null when the task has no row yet
     */
    public static StatusChange running(Task task, String extension, TaskState previous, Instant at) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(at, "at");
        return new StatusChange(task, task.id(), task.topic(), extension, TaskStatus.RUNNING, task.attempt(),
                reschedulesOf(previous), null, null, at, at,
                null, List.of(new Transition(previousStatus(previous), TaskStatus.RUNNING, at, null)), null, null);
    }

    /**
     * An execution that started at {@code startedAt} ended at {@code at} with {@code next}.
     * When {@code next} is {@code rescheduled}, {@code redelivery} is the task to deliver again
     * (next attempt number) and a {@link ScheduledDelivery} is written with it.
     *
     * @param previous what the table said before the execution, or null when the task had no row
     * @param runningWritten whether a {@link #running} change for this execution was already applied
     * @param resultJson the extension's answer as JSON (for {@code tasks.result}), or null
     */
    public static StatusChange finished(Task task, String extension, TaskState previous, boolean runningWritten,
            Instant startedAt, Instant at, NextStatus next, String resultJson, Task redelivery) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(next, "next");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(at, "at");
        List<Transition> transitions = new ArrayList<>(2);
        if (!runningWritten) {
            transitions.add(new Transition(previousStatus(previous), TaskStatus.RUNNING, startedAt, null));
        }
        transitions.add(new Transition(TaskStatus.RUNNING, next.status(), at, next.reason()));
        int reschedules = reschedulesOf(previous) + (next.requestedReschedule() ? 1 : 0);
        ScheduledDelivery delivery = null;
        Instant nextRunAt = null;
        if (next.status() == TaskStatus.RESCHEDULED) {
            Objects.requireNonNull(redelivery, "redelivery (a rescheduled task needs the record to deliver again)");
            if (!redelivery.id().equals(task.id()) || redelivery.attempt() != task.attempt() + 1) {
                throw new IllegalArgumentException("redelivery must be the same task with attempt " + (task.attempt() + 1));
            }
            nextRunAt = at.plus(next.countdown());
            delivery = ScheduledDelivery.of(redelivery, nextRunAt);
        }
        return new StatusChange(task, task.id(), task.topic(), extension, next.status(), task.attempt(), reschedules,
                next.output(), resultJson, at, startedAt, nextRunAt, transitions, delivery, null);
    }

    /**
     * A future-dated task accepted for delivery at {@code dueAt}: its row is created as
     * {@code queued} with {@code next_run_at = dueAt}, and the delivery of its record is queued.
     * Applying it again (the same event consumed twice) changes nothing.
     */
    public static StatusChange scheduled(Task task, Instant dueAt, Instant at) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(dueAt, "dueAt");
        return new StatusChange(task, task.id(), task.topic(), null, TaskStatus.QUEUED, task.attempt(), 0, null, null,
                at, null, dueAt, List.of(new Transition(null, TaskStatus.QUEUED, at, "scheduled for " + dueAt)),
                ScheduledDelivery.of(task, dueAt), null);
    }

    /**
     * A task was accepted at {@code task.createdAt()} (its record is in Kafka): its row is created
     * {@code queued}, with a first transition {@code → queued} at that time, unless the task has a
     * row already; see {@link StatusStore#recordQueued}.
     *
     * @param reason who accepted it, for the history ("accepted by the ingress", …)
     */
    public static StatusChange accepted(Task task, String reason) {
        Objects.requireNonNull(task, "task");
        Instant at = Objects.requireNonNull(task.createdAt(), "task.createdAt");
        return new StatusChange(task, task.id(), task.topic(), null, TaskStatus.QUEUED, task.attempt(), 0, null, null,
                at, null, null, List.of(new Transition(null, TaskStatus.QUEUED, at, reason)), null, null);
    }

    /** The task cannot be processed at all (no extension for its topic, say). */
    public static StatusChange dead(Task task, String extension, TaskState previous, Instant at, String reason) {
        Objects.requireNonNull(task, "task");
        return new StatusChange(task, task.id(), task.topic(), extension, TaskStatus.DEAD, task.attempt(),
                reschedulesOf(previous), reason, null, at, null, null,
                List.of(new Transition(previousStatus(previous), TaskStatus.DEAD, at, reason)), null, null);
    }

    /** A record that could not be decoded, but whose task id is known, is dead. */
    public static StatusChange deadRecord(UUID id, String topic, byte[] payload, Instant at, String reason) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(topic, "topic");
        return new StatusChange(null, id, topic, null, TaskStatus.DEAD, 1, 0, reason, null, at, null, null,
                List.of(new Transition(null, TaskStatus.DEAD, at, reason)), null, payload);
    }

    private static TaskStatus previousStatus(TaskState previous) {
        return previous == null ? null : previous.status();
    }

    private static int reschedulesOf(TaskState previous) {
        return previous == null ? 0 : previous.reschedules();
    }

    public UUID id() { return id; }
    public String topic() { return topic; }
    public TaskKind kind() { return kind; }
    public String type() { return type; }
    public String extension() { return extension; }
    public TaskStatus status() { return status; }
    public int attempt() { return attempt; }
    public int reschedules() { return reschedules; }
    public String output() { return output; }
    public String resultJson() { return resultJson; }
    public byte[] payload() { return payload; }
    public String contentType() { return contentType; }
    public String callbackUrl() { return callbackUrl; }
    public String traceId() { return traceId; }
    public String idempotencyKey() { return idempotencyKey; }
    /** The key of the task's Kafka record, or null. */
    public byte[] kafkaKey() { return kafkaKey; }
    public Instant createdAt() { return createdAt; }
    /** When the change happened. */
    public Instant at() { return at; }
    public Instant startedAt() { return startedAt; }
    public Instant finishedAt() { return finishedAt; }
    public Instant nextRunAt() { return nextRunAt; }
    /** The rows to append to {@code task_transitions}, oldest first. */
    public List<Transition> transitions() { return transitions; }
    /** The future delivery to queue, or null. */
    public ScheduledDelivery delivery() { return delivery; }

    @Override
    public String toString() {
        return "StatusChange{" + id + " -> " + status.wireName() + " (attempt " + attempt + ")}";
    }
}
