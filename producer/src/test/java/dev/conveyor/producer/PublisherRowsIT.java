package dev.conveyor.producer;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.db.jooq.tables.records.TaskTransitionsRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A publisher given the status store: the row is there when the future completes. */
@ConveyorIntegrationTest
class PublisherRowsIT {

    @Test
    void aPublishedTaskHasItsQueuedRowWhenItsFutureCompletes(TestKafka kafka, TestDatabase db) {
        String topic = kafka.createTopic("rows", 1);
        try (Publisher publisher = Publisher.connect(kafka.bootstrap(), "p.", Map.of(),
                new JooqStatusStore(db.dsl(), "publisher-node"))) {
            UUID id = publisher.publish(topic, "{\"n\":1}", PublishOptions.builder().key("c-9").idempotencyKey("k-9")
                    .build()).join();
            TasksRecord row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
            assertThat(row).isNotNull();
            assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
            assertThat(new String(row.getKafkaKey(), StandardCharsets.UTF_8)).isEqualTo("c-9");
            assertThat(row.getIdempotencyKey()).isEqualTo("k-9");
            TaskTransitionsRecord first = db.dsl().selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id))
                    .fetchOne();
            assertThat(first.getReason()).isEqualTo("accepted by the publisher");
            assertThat(first.getNode()).isEqualTo("publisher-node");
            assertThat(first.getAt()).isEqualTo(row.getCreatedAt());
        }
    }

    @Test
    void aFutureDatedTaskHasItsScheduledRowAndDelivery(TestKafka kafka, TestDatabase db) {
        String topic = kafka.createTopic("rows-later", 1);
        String prefix = TestKafka.uniqueName("rp") + ".";
        kafka.createTopicNamed(prefix + "delayed", 1);
        try (Publisher publisher = Publisher.connect(kafka.bootstrap(), prefix, Map.of(),
                new JooqStatusStore(db.dsl(), "publisher-node"))) {
            Instant due = Instant.now().plus(Duration.ofMinutes(5));
            UUID id = publisher.publish(topic, "{}", PublishOptions.builder().scheduleAt(due).build()).join();
            TasksRecord row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
            assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
            assertThat(row.getNextRunAt()).isCloseTo(due, within(1, ChronoUnit.MILLIS));
            assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(id))).isEqualTo(1);
        }
    }
}
