package dev.conveyor.schema;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.NameBasedGenerator;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import java.util.UUID;

/**
 * Task ids. New tasks get UUIDv7 ids (time-ordered, so the primary key index is also a
 * creation-time index). Events that arrive with an id that is not a UUID, and plain Kafka
 * records with no id at all, get a name-based (v5) UUID derived from what identifies them, so
 * every redelivery of the same event maps to the same task.
 */
public final class TaskIds {

    /** Namespace of Conveyor's name-based ids (a fixed, random UUID). */
    public static final UUID NAMESPACE = UUID.fromString("6f1d6a2e-3c1b-4b7e-9a55-0c6e1f4d2b17");

    private static final TimeBasedEpochGenerator V7 = Generators.timeBasedEpochGenerator();
    private static final NameBasedGenerator V5 = Generators.nameBasedGenerator(NAMESPACE);

    private TaskIds() {}

    /** A new UUIDv7; ids made in the same millisecond by this process still increase. */
    public static UUID newId() {
        return V7.generate();
    }

    /**
     * The task id of a CloudEvent: its {@code id} itself when that is a UUID in canonical text
     * form, otherwise a name-based UUID of {@code source} and {@code id} (CloudEvents ids are
     * unique per source).
     */
    public static UUID forEvent(String source, String eventId) {
        UUID parsed = parseCanonical(eventId);
        return parsed != null ? parsed : V5.generate("ce\n" + source + "\n" + eventId);
    }

    /** The task id of a plain Kafka record (no CloudEvents headers): stable across redelivery. */
    public static UUID forRecord(String topic, int partition, long offset) {
        return V5.generate("kafka\n" + topic + "\n" + partition + "\n" + offset);
    }

    /** {@code text} as a UUID if it is one in canonical 8-4-4-4-12 form, else null. */
    public static UUID parseCanonical(String text) {
        // By hand rather than with a regular expression: every consumed record's id goes through here.
        if (text == null || text.length() != 36) {
            return null;
        }
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return null;
                }
                continue;
            }
            int d = Character.digit(c, 16);
            if (d < 0 || c > 'f') { // Character.digit also takes non-ASCII digits
                return null;
            }
            if (i < 18) {
                msb = (msb << 4) | d;
            } else {
                lsb = (lsb << 4) | d;
            }
        }
        return new UUID(msb, lsb);
    }
}
