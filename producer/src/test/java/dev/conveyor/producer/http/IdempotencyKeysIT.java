package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.IDEMPOTENCY_KEYS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.TaskIds;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The states of an idempotency key against a real PostgreSQL: who owns it, and under which task id. */
@ConveyorIntegrationTest
class IdempotencyKeysIT {

    @Test
    void aKeyWhoseEventMayHaveBeenEnqueuedKeepsItsTaskIdForTheRetry(TestDatabase db) {
        IdempotencyKeys keys = new IdempotencyKeys(db.dsl());
        Instant now = Instant.now();
        UUID first = TaskIds.newId();
        UUID second = TaskIds.newId();

        assertThat(keys.claim("topic:t", "k", first, now)).isEqualTo(new IdempotencyKeys.Claim.Claimed(first));
        assertThat(keys.claim("topic:t", "k", second, now)).isEqualTo(new IdempotencyKeys.Claim.InProgress());

        // Kafka did not confirm the first request: the retry owns the key, under the first task id.
        keys.unconfirmed("topic:t", "k", first);
        assertThat(keys.claim("topic:t", "k", second, now)).isEqualTo(new IdempotencyKeys.Claim.Claimed(first));
        assertThat(keys.claim("topic:t", "k", TaskIds.newId(), now)).isEqualTo(new IdempotencyKeys.Claim.InProgress());
        keys.accept("topic:t", "k", first);
        assertThat(keys.claim("topic:t", "k", TaskIds.newId(), now)).isEqualTo(new IdempotencyKeys.Claim.Existing(first));

        // Definitely not enqueued: the key is freed and the next request is a new task.
        UUID third = TaskIds.newId();
        assertThat(keys.claim("topic:t", "k2", third, now)).isEqualTo(new IdempotencyKeys.Claim.Claimed(third));
        keys.release("topic:t", "k2", third);
        UUID fourth = TaskIds.newId();
        assertThat(keys.claim("topic:t", "k2", fourth, now)).isEqualTo(new IdempotencyKeys.Claim.Claimed(fourth));
    }

    @Test
    void anAbandonedClaimIsTakenOverUnderItsTaskIdAndAnExpiredKeyStartsOver(TestDatabase db) {
        IdempotencyKeys keys = new IdempotencyKeys(db.dsl());
        Instant now = Instant.now();
        UUID dead = TaskIds.newId();
        // An ingress died mid-produce two minutes ago: its event may be in Kafka.
        keys.claim("topic:t", "abandoned", dead, now.minus(Duration.ofMinutes(2)));
        assertThat(keys.claim("topic:t", "abandoned", TaskIds.newId(), now))
                .isEqualTo(new IdempotencyKeys.Claim.Claimed(dead));

        UUID old = TaskIds.newId();
        keys.claim("topic:t", "expired", old, now.minus(Duration.ofHours(25)));
        keys.accept("topic:t", "expired", old);
        UUID fresh = TaskIds.newId();
        assertThat(keys.claim("topic:t", "expired", fresh, now)).isEqualTo(new IdempotencyKeys.Claim.Claimed(fresh));
        assertThat(db.dsl().selectFrom(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.KEY.eq("expired")).fetchOne().getState())
                .isEqualTo("pending");
    }

    @Test
    void theWindowIsTheConfiguredOne(TestDatabase db) {
        IdempotencyKeys keys = new IdempotencyKeys(db.dsl(), Duration.ofHours(1));
        Instant now = Instant.now();
        UUID first = TaskIds.newId();
        keys.claim("topic:w", "k", first, now.minus(Duration.ofMinutes(59)));
        keys.accept("topic:w", "k", first);
        assertThat(keys.claim("topic:w", "k", TaskIds.newId(), now)).isEqualTo(new IdempotencyKeys.Claim.Existing(first));
        UUID later = TaskIds.newId();
        assertThat(keys.claim("topic:w", "k", later, now.plus(Duration.ofMinutes(2))))
                .as("an hour after its first use the key is free again").isEqualTo(new IdempotencyKeys.Claim.Claimed(later));
    }
}
