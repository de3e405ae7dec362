package dev.conveyor.schema.kafka;

import dev.conveyor.schema.Task;
import java.util.Objects;

/**
 * What {@link TaskRecordCodec#decode} made of a Kafka record: a task, or poison that goes to the
 * dead-letter topic with its reason.
 */
public sealed interface Decoded permits Decoded.Ok, Decoded.Poison {

    /** The record is a task. {@code mode} says how it was encoded. */
    record Ok(Task task, Mode mode) implements Decoded {
        public Ok {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(mode, "mode");
        }
    }

    /**
     * The record claims to be a task but cannot be one.
     *
     * @param reason what is wrong, naming the header or field (for operators and the DLQ headers)
     * @param taskId the task id when it could still be worked out (so a {@code dead} row can be
     *     written), else null
     */
    record Poison(String reason, java.util.UUID taskId) implements Decoded {
        public Poison {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** How a record carried its task. */
    enum Mode {
        /** CloudEvents binary content mode: attributes in {@code ce_*} headers, data in the value. */
        BINARY,
        /** CloudEvents structured content mode: the whole event as JSON in the value. */
        STRUCTURED,
        /** A plain record from any Kafka producer: no CloudEvents headers at all. */
        PLAIN
    }
}
