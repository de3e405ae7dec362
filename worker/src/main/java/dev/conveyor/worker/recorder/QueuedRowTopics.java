package dev.conveyor.worker.recorder;

/**
 * Which task topics get a {@code queued} row from the recorder: the seam of the "lean" status
 * mode, where a topic may keep no row until a worker picks its task up. Today every topic does
 * ({@link #ALL}).
 */
@FunctionalInterface
public interface QueuedRowTopics {

    /** Every topic records queued rows (the default). */
    QueuedRowTopics ALL = topic -> true;

    /** True when the tasks of {@code topic} get a {@code queued} row as soon as their record is in Kafka. */
    boolean recordsQueuedRows(String topic);
}
