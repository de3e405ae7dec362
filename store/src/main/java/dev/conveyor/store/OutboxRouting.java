package dev.conveyor.store;

import dev.conveyor.schema.TaskStatus;
import java.util.List;
import java.util.Objects;

/**
 * Which configured notifications a terminal status change goes to. The status store asks it for
 * every change it applies that makes a task terminal and writes one {@code outbox} row per
 * target (plus one for the task's callback URL, if it has one), in the same transaction.
 *
 * <p>Called on the worker's hot path for each terminal change: implementations answer from
 * memory, without I/O.
 */
@FunctionalInterface
public interface OutboxRouting {

    /** No notifications: only tasks with a callback URL get outbox rows. */
    OutboxRouting NONE = (topic, status) -> List.of();

    /** The notifications a task of {@code topic} that just became {@code status} must be sent to. */
    List<Target> notifications(String topic, TaskStatus status);

    /**
     * One destination of a notification.
     *
     * @param name the notification's name ({@code notifications[].name}); the row's target is {@code notification:<name>}
     * @param url where it is sent, recorded in the row for operators
     */
    record Target(String name, String url) {
        public Target {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
        }
    }
}
