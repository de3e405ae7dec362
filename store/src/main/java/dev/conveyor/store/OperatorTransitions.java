package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.store.StatusStore.Cancellation;
import dev.conveyor.store.StatusStore.Retry;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transitions an operator asks for, one task at a time: cancel a waiting task, retry a
 * finished one. Each locks the task's row, checks its status and writes the row, its transition
 * and (for a cancel) its outbox rows in one transaction.
 */
final class OperatorTransitions {

    private static final Logger log = LoggerFactory.getLogger(JooqStatusStore.class);
    private static final Set<TaskStatus> CANCELLABLE = EnumSet.of(TaskStatus.QUEUED, TaskStatus.RESCHEDULED);
    private static final Set<TaskStatus> RETRYABLE =
            EnumSet.of(TaskStatus.FAILED, TaskStatus.DEAD, TaskStatus.SKIPPED, TaskStatus.CANCELLED);

    private final DSLContext dsl;
    private final String node;
    private final OutboxWriter outbox;

    OperatorTransitions(DSLContext dsl, String node, OutboxWriter outbox) {
        this.dsl = dsl;
        this.node = node;
        this.outbox = outbox;
    }

    /** See {@link StatusStore#cancel}. */
    Cancellation cancel(UUID id, String reason, Instant at) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            var row = t.select(TASKS.STATUS, TASKS.ATTEMPT, TASKS.TOPIC, TASKS.CALLBACK_URL).from(TASKS)
                    .where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return new Cancellation.NotFound();
            }
            if (!CANCELLABLE.contains(row.value1())) {
                return new Cancellation.Refused(row.value1());
            }
            List<Integer> removed = t.deleteFrom(SCHEDULED_DELIVERIES).where(SCHEDULED_DELIVERIES.TASK_ID.eq(id))
                    .returning(SCHEDULED_DELIVERIES.ATTEMPT).fetch(SCHEDULED_DELIVERIES.ATTEMPT);
            int attempt = cancelledAttempt(row.value1(), row.value2(), removed);
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.CANCELLED)
                    .set(TASKS.ATTEMPT, attempt)
                    .set(TASKS.OUTPUT, reason)
                    .set(TASKS.UPDATED_AT, at)
                    .set(TASKS.FINISHED_AT, at)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            insertTransition(t, id, row.value1(), TaskStatus.CANCELLED, at, attempt, reason);
            outbox.writeFor(t, id, row.value3(), TaskStatus.CANCELLED, row.value4());
            return new Cancellation.Cancelled();
        });
    }

    /**
     * The attempt a cancel ends: the delivery the task was waiting for. A {@code rescheduled} task
     * at attempt {@code n} waits for the record of attempt {@code n + 1}, and that record may
     * already exist although its {@code scheduled_deliveries} row is still there (or already gone):
     * a scheduler claims rows ahead of their due time, sends the records up to a second early and
     * requeues the task only afterwards. So the cancelled row records {@code n + 1}, and a retry
     * then delivers {@code n + 2}: the record that was claimed before the cancel is superseded (the
     * worker does not run an attempt older than the stored one) instead of being a second record of
     * the retried attempt. Before this, the retry reused {@code n + 1}, and two records of one task
     * and attempt could both run, on two workers. A {@code queued} task's attempt is the record it
     * waits for already.
     */
    static int cancelledAttempt(TaskStatus status, int attempt, List<Integer> removedDeliveries) {
        int cancelled = status == TaskStatus.RESCHEDULED ? attempt + 1 : attempt;
        for (Integer removed : removedDeliveries) {
            cancelled = Math.max(cancelled, removed);
        }
        return cancelled;
    }

    /** See {@link StatusStore#retry}. */
    Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver) {
        Objects.requireNonNull(deliver, "deliver");
        PreparedRetry prepared = dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            TasksRecord row = t.selectFrom(TASKS).where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return new PreparedRetry(new Retry.NotFound(), null, 0);
            }
            if (!RETRYABLE.contains(row.getStatus())) {
                return new PreparedRetry(new Retry.Refused(row.getStatus()), null, 0);
            }
            int attempt = row.getAttempt() + 1;
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.QUEUED)
                    .set(TASKS.ATTEMPT, attempt)
                    .set(TASKS.UPDATED_AT, at)
                    .setNull(TASKS.FINISHED_AT)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            long seq = insertTransition(t, id, row.getStatus(), TaskStatus.QUEUED, at, attempt, reason);
            return new PreparedRetry(new Retry.Retried(retriedTask(row, attempt)), row, seq);
        });
        if (!(prepared.result() instanceof Retry.Retried retried)) {
            return prepared.result();
        }
        try {
            deliver.accept(retried.task());
            return retried;
        } catch (RuntimeException e) {
            boolean undone;
            try {
                undone = undoRetry(prepared.before(), retried.task().attempt(), prepared.transitionSeq());
            } catch (RuntimeException undoFailed) {
                log.error("Task {} was set to queued at attempt {} for a retry, but its record was not delivered and "
                        + "putting the row back failed: it stays queued without a record until an operator fixes it",
                        id, retried.task().attempt(), undoFailed);
                e.addSuppressed(undoFailed);
                throw e;
            }
            if (undone) {
                throw e;
            }
            log.warn("Delivering the retry of task {} reported an error, but a worker already moved the task on: "
                    + "the record did arrive; the retry stands ({})", id, e.toString());
            return retried;
        }
    }

    /** The outcome of the retry transaction and what is needed to undo it. */
    private record PreparedRetry(Retry result, TasksRecord before, long transitionSeq) {}

    /**
     * Puts a retried row back as it was before the retry, unless it has moved on since.
     *
     * @return false when the row is no longer queued at {@code attempt} (a worker took the record)
     */
    private boolean undoRetry(TasksRecord before, int attempt, long transitionSeq) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            int rows = t.update(TASKS)
                    .set(TASKS.STATUS, before.getStatus())
                    .set(TASKS.ATTEMPT, before.getAttempt())
                    .set(TASKS.UPDATED_AT, before.getUpdatedAt())
                    .set(TASKS.FINISHED_AT, before.getFinishedAt())
                    .set(TASKS.NEXT_RUN_AT, before.getNextRunAt())
                    .where(TASKS.ID.eq(before.getId()), TASKS.STATUS.eq(TaskStatus.QUEUED), TASKS.ATTEMPT.eq(attempt))
                    .execute();
            if (rows == 0) {
                return false;
            }
            t.deleteFrom(TASK_TRANSITIONS)
                    .where(TASK_TRANSITIONS.TASK_ID.eq(before.getId()), TASK_TRANSITIONS.SEQ.eq(transitionSeq))
                    .execute();
            return true;
        });
    }

    /**
     * The task a retry delivers, rebuilt from its row. The CloudEvents id is the task id's text,
     * which the codec decodes back to the same task id whatever the source. The record key (the
     * ordering key) is the stored {@code kafka_key}. Not stored, hence not carried again: the
     * original CloudEvents source and extension headers.
     */
    static Task retriedTask(TasksRecord row, int attempt) {
        return Task.builder(row.getId())
                .eventId(row.getId().toString())
                .source(JooqStatusStore.RETRY_SOURCE)
                .topic(row.getTopic())
                .kind(row.getKind())
                .type(row.getType())
                .attempt(attempt)
                .payload(row.getPayload())
                .contentType(row.getContentType())
                .createdAt(row.getCreatedAt())
                .traceId(row.getTraceId())
                .callbackUrl(row.getCallbackUrl())
                .idempotencyKey(row.getIdempotencyKey())
                .keyBytes(row.getKafkaKey())
                .build();
    }

    private long insertTransition(DSLContext t, UUID id, TaskStatus from, TaskStatus to, Instant at, int attempt,
            String reason) {
        return t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                        TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT,
                        TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                .values(id, from, to, at, attempt, reason, node)
                .returning(TASK_TRANSITIONS.SEQ)
                .fetchOne()
                .getSeq();
    }
}
