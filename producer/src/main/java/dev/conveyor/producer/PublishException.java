package dev.conveyor.producer;

import java.util.UUID;

/**
 * Why a {@link Publisher} future failed: Kafka did not acknowledge the record. The two cases call
 * for different reactions, so they are told apart:
 * <ul>
 *   <li>{@link #maybeEnqueued()} false: the record was <em>not</em> enqueued. It never left this
 *       client (no metadata for the topic within {@code max.block.ms}, the producer's buffer was
 *       full, serialization, record larger than {@code max.request.size}) or the broker refused it
 *       (authorization, invalid topic, record too large). Publishing again is safe.</li>
 *   <li>{@link #maybeEnqueued()} true: the outcome is unknown. The record may have been written
 *       (a request timed out or a connection broke after the batch was sent; {@code
 *       delivery.timeout.ms} passed), so a task with {@link #taskId()} may run. Publish again
 *       with the same id ({@code PublishOptions.id(taskId)}): if both records reach Kafka they are
 *       one task, which runs at most once unless both copies are picked up at the same moment by
 *       two workers (as for any redelivery, extensions should be idempotent).</li>
 * </ul>
 * The Kafka client's exception is the {@linkplain #getCause() cause}.
 */
public final class PublishException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient UUID taskId;
    private final boolean maybeEnqueued;

    /**
     * @param taskId the task the record carried, or null for a record that is not a task
     * @param maybeEnqueued whether the record may have been written despite the failure
     * @param cause the Kafka client's exception
     */
    public PublishException(UUID taskId, boolean maybeEnqueued, Throwable cause) {
        super(message(taskId, maybeEnqueued, cause), cause);
        this.taskId = taskId;
        this.maybeEnqueued = maybeEnqueued;
    }

    /** The id of the task that was being published, or null for a record that is not a task. */
    public UUID taskId() {
        return taskId;
    }

    /**
     * True when Kafka did not confirm the record in time but may have written it: the task may
     * exist and run. False when the record was definitely not enqueued.
     */
    public boolean maybeEnqueued() {
        return maybeEnqueued;
    }

    private static String message(UUID taskId, boolean maybeEnqueued, Throwable cause) {
        String what = taskId == null ? "the record" : "task " + taskId;
        return (maybeEnqueued
                ? "Kafka did not confirm " + what + " in time; it may have been enqueued: publish again with the same id"
                : "Kafka did not accept " + what + "; nothing was enqueued")
                + " (" + cause + ")";
    }
}
