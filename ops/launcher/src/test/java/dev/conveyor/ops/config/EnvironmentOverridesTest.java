package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentOverridesTest {

    @Test
    void knownVariablesWinOverTheFile() {
        ObjectNode tree = Json.emptyObject();
        tree.putObject("worker").put("shutdown-grace", "30s");
        EnvironmentOverrides.apply(tree, Map.of("CONVEYOR_WORKER_SHUTDOWN_GRACE", "5s", "CONVEYOR_TOPICS", "a, b,,",
                "CONVEYOR_WORKER_CIRCUIT_BREAKER_WAIT", "9s", "PATH", "/bin"));
        assertThat(tree.toString()).isEqualTo(
                "{\"worker\":{\"shutdown-grace\":\"5s\",\"circuit-breaker\":{\"wait\":\"9s\"}},\"topics\":[\"a\",\"b\"]}");
    }

    @Test
    void anUnknownVariableNamesTheClosestKnownOne() {
        assertThatThrownBy(() -> EnvironmentOverrides.apply(Json.emptyObject(),
                Map.of("CONVEYOR_WORKER_SHUTDOWN_GRASE", "5s")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("CONVEYOR_WORKER_SHUTDOWN_GRASE: unknown variable; did you mean CONVEYOR_WORKER_SHUTDOWN_GRACE?");
        assertThatThrownBy(() -> EnvironmentOverrides.apply(Json.emptyObject(), Map.of("CONVEYOR_COLOUR", "blue")))
                .hasMessageStartingWith("CONVEYOR_COLOUR: unknown variable: no configuration key is named so");
    }

    @Test
    void variablesOfTheScriptsAndTestsAreNotConfiguration() {
        ObjectNode tree = Json.emptyObject();
        EnvironmentOverrides.apply(tree, Map.of("CONVEYOR_URL", "http://x", "CONVEYOR_TOKEN", "t",
                "CONVEYOR_JAVA_OPTS", "-Xmx1g", "CONVEYOR_TEST_DB_URL", "jdbc:postgresql://x/y",
                "CONVEYOR_CHAOS_SOMETHING_NEW", "1", "CONVEYOR_REGENERATE_JOOQ", "1"));
        assertThat(tree.isEmpty()).isTrue();
    }

    @Test
    void mapsAndFreeNamesHaveNoVariable() {
        assertThat(ConfigKeys.fromEnvironment()).extracting(ConfigKeys.Key::path)
                .contains("worker.shutdown-grace", "http.tokens", "worker.backoff.initial")
                .doesNotContain("kafka.client", "worker.topics.<topic>.timeout", "notifications[].url");
    }
}
