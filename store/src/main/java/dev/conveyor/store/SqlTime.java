package dev.conveyor.store;

import java.time.Instant;

/**
 * Timestamps as the batched statements bind them: microseconds since the epoch in an
 * {@code int8} array, rebuilt in SQL, which is cheaper than having PostgreSQL parse text.
 */
final class SqlTime {

    private SqlTime() {}

    /**
     * Microseconds since the epoch, rounded the way PostgreSQL rounds a timestamp given in text
     * with more digits (half to even): the same instant written here and through a jOOQ bind
     * (scheduled_deliveries.due_at) must be equal in the database.
     */
    static Long micros(Instant instant) {
        return instant == null ? null
                : Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L),
                        (long) Math.rint(instant.getNano() / 1_000.0));
    }

    /** SQL turning microseconds since the epoch in {@code column} back into a timestamptz (null stays null). */
    static String fromMicros(String column) {
        return "(timestamptz 'epoch' + " + column + " * interval '1 microsecond')";
    }
}
