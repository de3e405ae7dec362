package dev.conveyor.schema;

import java.util.Objects;

/** What a scheduled extension answers for one fire of a recurring schedule. */
public sealed interface ScheduledResult permits ScheduledResult.Done, ScheduledResult.Fail {

    /** The run succeeded; the task becomes {@code done}. */
    static ScheduledResult done() {
        return Done.INSTANCE;
    }

    /** The run failed; the task becomes {@code failed} and keeps {@code output}. The schedule keeps firing. */
    static ScheduledResult fail(String output) {
        return new Fail(output);
    }

    /** The run succeeded. */
    record Done() implements ScheduledResult {
        static final Done INSTANCE = new Done();
    }

    /** The run failed, with a message for operators. */
    record Fail(String output) implements ScheduledResult {
        public Fail {
            output = Objects.requireNonNullElse(output, "");
        }
    }
}
