package dev.conveyor.store;

import dev.conveyor.schema.Task;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How much status each topic keeps ({@code worker.status}, {@code worker.topics.<topic>.status}):
 * {@code full} (every task has a row from acceptance on) or {@code lean}. A task of a lean topic
 * that has no callback and no idempotency key gets no {@code queued} row at acceptance, and no row
 * at all if it ends {@code done} on its first run without a running mark: only a short-lived
 * {@code lean_done} row (redelivery dedupe) and the counters. Every other outcome keeps its row.
 * The ingress, the publisher, the recorder and the worker all read the same settings.
 *
 * @param lean the default for topics without their own setting ({@code worker.status: lean})
 * @param topics per-topic settings, true for lean
 */
public record StatusModes(boolean lean, Map<String, Boolean> topics) {

    /** Every topic full: the default. */
    public static final StatusModes FULL = new StatusModes(false, Map.of());

    public StatusModes {
        topics = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(topics, "topics")));
    }

    /** The mode named {@code value} ({@code full} or {@code lean}) as a boolean; {@code key} names the setting in errors. */
    public static boolean parseLean(String key, String value) {
        return switch (value) {
            case "full" -> false;
            case "lean" -> true;
            default -> throw new IllegalArgumentException(key + " must be full or lean, was \"" + value + "\"");
        };
    }

    /** Whether {@code topic} is lean. */
    public boolean isLean(String topic) {
        return topics.getOrDefault(topic, lean);
    }

    /** Whether any topic may be lean (the worker then also looks up {@code lean_done} when it polls). */
    public boolean anyLean() {
        return lean || topics.containsValue(true);
    }

    /**
     * Whether {@code task} may go without a row: its topic is lean, and it has neither a callback
     * nor an idempotency key (whose answers and searches need the row).
     */
    public boolean mayKeepNoRow(Task task) {
        return mayKeepNoRow(task.topic(), task.callbackUrl(), task.idempotencyKey());
    }

    /** {@link #mayKeepNoRow(Task)} from the task's facts. */
    public boolean mayKeepNoRow(String topic, String callbackUrl, String idempotencyKey) {
        return isLean(topic) && callbackUrl == null && idempotencyKey == null;
    }
}
