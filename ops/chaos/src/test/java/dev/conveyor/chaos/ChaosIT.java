package dev.conveyor.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fault-injection suite's short scenario, in CI: Conveyor as separate processes (broker,
 * PostgreSQL, 2 ingress, 2 workers, 2 schedulers) under ~100 events/s for 80 s, with 6 SIGKILLs of
 * roles, a SIGTERM of each role kind and a SIGKILL of the broker (restarted on its data). Fails on
 * any lost, doubled or wrong outcome and on a due callback never delivered; the checks on what
 * happened (tasks accepted on every channel, every mode executed, the faults injected and recovered)
 * keep it from passing on a run where nothing was tested. About 3 minutes.
 */
class ChaosIT {

    @Test
    void shortScenarioLosesNothing() throws Exception {
        Map<String, Object> r = ChaosRun.run(new ChaosRun.Options(Duration.ofSeconds(80), 42, null, null, 100,
                Set.of("kill9", "sigterm", "kill9_broker")));
        String run = "run dir " + r.get("run") + " (anomalies.txt, faults.txt, logs/): " + r;

        // It tested something.
        assertThat(number(r, "accepted")).as(run).isGreaterThanOrEqualTo(2000);
        @SuppressWarnings("unchecked")
        Map<String, Number> channels = (Map<String, Number>) r.get("accepted_by_channel");
        assertThat(channels.keySet()).as(run).contains("http", "interactive", "publisher");
        channels.values().forEach(n -> assertThat(n.longValue()).as(run).isGreaterThan(20));
        @SuppressWarnings("unchecked")
        Map<String, Number> modes = (Map<String, Number>) r.get("executions_by_mode");
        assertThat(modes.keySet()).as(run).contains("done", "slow", "reschedule_once", "throw_once", "fail", "interactive");
        assertThat(number(r, "role_kills")).as(run).isGreaterThanOrEqualTo(6);
        @SuppressWarnings("unchecked")
        Map<String, Number> faults = (Map<String, Number>) r.get("faults");
        assertThat(faults.keySet()).as(run).contains("kill9_ingress", "kill9_worker", "kill9_scheduler", "kill9_broker");
        assertThat(number(r, "faults_not_recovered")).as(run).isZero();
        assertThat(number(r, "callbacks_due")).as(run).isGreaterThan(100);

        // Nothing lost, doubled or wrong.
        assertThat(r.get("quiet")).as(run).isEqualTo(true);
        assertThat(number(r, "lost")).as(run).isZero();
        assertThat(number(r, "double_terminal")).as(run).isZero();
        assertThat(number(r, "wrong_outcome")).as(run).isZero();
        assertThat(number(r, "callbacks_missing")).as(run).isZero();
    }

    private static long number(Map<String, Object> report, String key) {
        return ((Number) report.get(key)).longValue();
    }
}
