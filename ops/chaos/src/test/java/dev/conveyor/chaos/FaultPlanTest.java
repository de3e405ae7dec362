package dev.conveyor.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultPlanTest {

    @Test
    void tenMinutesHoldTwentyFourRoleKillsEveryKindAndAllFourInfrastructureFaults() {
        List<Faults.Planned> plan = Faults.plan(7, Duration.ofMinutes(10), Set.of());
        assertThat(plan.stream().filter(p -> p.kind().startsWith("kill9_") && !p.kind().equals("kill9_broker")))
                .hasSize(24);
        assertThat(plan).extracting(Faults.Planned::kind).contains("kill9_ingress", "kill9_worker", "kill9_scheduler",
                "sigterm_ingress", "sigterm_worker", "sigterm_scheduler", "kill9_broker", "stop_postgres",
                "cut_worker_kafka", "cut_worker_db");
        assertThat(plan).allSatisfy(p -> assertThat(p.atMillis()).isBetween(10_000L, 600_000L - 25_000L));
        assertThat(plan).filteredOn(p -> p.kind().startsWith("cut_"))
                .allSatisfy(p -> assertThat(p.durationMillis()).isBetween(10_000L, 20_000L));
        assertThat(plan).isSortedAccordingTo((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
    }

    @Test
    void shortRunsStillKillSixRolesAndTheSameSeedGivesTheSamePlan() {
        List<Faults.Planned> plan = Faults.plan(42, Duration.ofSeconds(80), Set.of("kill9", "sigterm", "kill9_broker"));
        assertThat(plan.stream().filter(p -> p.kind().startsWith("kill9_") && !p.kind().equals("kill9_broker"))).hasSize(6);
        assertThat(plan).extracting(Faults.Planned::kind).contains("kill9_broker").doesNotContain("stop_postgres");
        assertThat(Faults.plan(42, Duration.ofSeconds(80), Set.of("kill9", "sigterm", "kill9_broker"))).isEqualTo(plan);
    }

    @Test
    void longestGapCountsFromTheFaultAndToTheEndOfTheWindow() {
        List<Long> completions = List.of(1_000L, 1_500L, 9_000L, 9_200L);
        assertThat(Audit.longestGap(completions, 1_200, 10_000)).isEqualTo(7_500); // 1.5 s -> 9 s
        assertThat(Audit.longestGap(completions, 9_100, 20_000)).isEqualTo(10_800); // 9.2 s -> end of window
        assertThat(Audit.longestGap(completions, 2_000, 9_000)).isEqualTo(7_000); // from the fault itself
    }
}
