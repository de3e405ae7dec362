package dev.conveyor.schema;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What kind of work a task is; decides which extension interface runs it and how results travel. */
public enum TaskKind {
    /** Fire-and-forget work; the sender got 202 and the status tables tell the rest. */
    BACKGROUND,
    /** Request/response work: the extension's answer becomes the HTTP response of the waiting caller. */
    INTERACTIVE,
    /** Work fired by a recurring schedule. */
    SCHEDULED,
    /** A background task whose ingress verified the sender's signature first. */
    WEBHOOK;

    /** The name on the wire ({@code conveyor_kind} header) and in the {@code tasks.kind} column. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code value} is none of them
     */
    public static TaskKind fromWire(String value) {
        for (TaskKind kind : values()) {
            if (kind.wireName().equals(value)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a task kind; expected one of "
                + Arrays.stream(values()).map(TaskKind::wireName).collect(Collectors.joining(", ")));
    }
}
