package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.worker.internal.AttemptClaims.Verdict;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AttemptClaimsTest {

    private final AttemptClaims<String> claims = new AttemptClaims<>();
    private final UUID task = UUID.randomUUID();

    @Test
    void theFirstRecordOfATaskClaimsIt() {
        assertThat(claims.claim(task, 1, "a1").verdict()).isEqualTo(Verdict.CLAIMED);
        assertThat(claims.holds(task, 1)).isTrue();
        assertThat(claims.claimedAttempt(task)).isEqualTo(1);
        assertThat(claims.claim(UUID.randomUUID(), 1, "other").verdict()).as("another task").isEqualTo(Verdict.CLAIMED);
    }

    @Test
    void aCopyOfTheClaimedAttemptFollowsItAndIsHandedBackWhenTheClaimEnds() {
        claims.claim(task, 2, "first");
        assertThat(claims.claim(task, 2, "copy").verdict()).isEqualTo(Verdict.FOLLOWS);
        assertThat(claims.holds(task, 2)).isTrue();
        assertThat(claims.release(task, 2)).containsExactly("copy");
        assertThat(claims.holds(task, 2)).isFalse();
        assertThat(claims.size()).isZero();
    }

    @Test
    void aLaterAttemptTakesTheClaimOverAndTheEarlierOnesCopiesAreStale() {
        claims.claim(task, 1, "a1");
        claims.claim(task, 1, "a1 copy");
        AttemptClaims.Admission<String> a2 = claims.claim(task, 2, "a2");
        assertThat(a2.verdict()).isEqualTo(Verdict.CLAIMED);
        assertThat(a2.stale()).containsExactly("a1 copy");
        assertThat(claims.holds(task, 2)).isTrue();
        assertThat(claims.holds(task, 1)).isFalse();
        assertThat(claims.release(task, 1)).as("attempt 1's outcome ending its claim late").isEmpty();
        assertThat(claims.holds(task, 2)).as("does not end attempt 2's").isTrue();
    }

    @Test
    void anEarlierAttemptThanTheClaimedOneIsStale() {
        claims.claim(task, 3, "a3");
        assertThat(claims.claim(task, 2, "a2").verdict()).isEqualTo(Verdict.STALE);
        assertThat(claims.holds(task, 3)).isTrue();
        assertThat(claims.release(task, 3)).as("a stale record is not a follower").isEmpty();
    }

    @Test
    void afterItsClaimEndsATaskCanBeClaimedAgain() {
        claims.claim(task, 1, "a1");
        claims.release(task, 1);
        assertThat(claims.claim(task, 1, "a1 again").verdict()).isEqualTo(Verdict.CLAIMED);
    }
}
