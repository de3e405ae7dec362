package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContentionTest {

    private static final String INTERNAL = "dev.conveyor.worker.internal.";

    @Test
    void statusWriterRetriesCount() {
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "StatusWriter",
                "Writing 3 status change(s) failed (deadlock detected); retrying in 100 ms")).isTrue();
    }

    @Test
    void eachFailedProduceCountsOnce() {
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "AcknowledgedSends",
                "Producing to orders failed (timeout)")).isTrue();
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "AcknowledgedSends",
                "Producing 2 record(s) failed (timeout); retrying in 100 ms")).isFalse();
    }

    @Test
    void wholeBatchFailuresOfACompleterCount() {
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "Completer",
                "Completer failed on a batch of 40; its records will be redelivered")).isTrue();
    }

    @Test
    void otherLoggersAndMessagesDoNot() {
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "GroupConsumption",
                "Closing the consumer failed")).isFalse();
        assertThat(Contention.LogCounter.isStatusWriteFailure(INTERNAL + "Completer", "Completer idle")).isFalse();
    }
}
