package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * {@code CONVEYOR_*} variables: each key that may come from the environment (see
 * {@link ConfigKeys.Key#fromEnvironment()}) has one, and it wins over the file. Any other
 * {@code CONVEYOR_*} variable stops start-up naming the closest known one, except the few that
 * the scripts and tests read for other purposes ({@link #NOT_CONFIGURATION}).
 */
final class EnvironmentOverrides {

    static final String PREFIX = "CONVEYOR_";

    /**
     * {@code CONVEYOR_*} variables that are not configuration keys. A role inherits its parent's
     * environment ({@code ops/bin/test} runs tests that start roles, the chaos suite starts them),
     * so these must not stop it.
     */
    static final Set<String> NOT_CONFIGURATION = Set.of(
            // The operator CLI's endpoint (cli/Endpoint: --url, --token).
            "CONVEYOR_URL", "CONVEYOR_TOKEN",
            // ops/bin/conveyor: options of the launcher's JVM, and the checkout it runs from
            // (conveyor new extension tells a new project where to copy its jar).
            "CONVEYOR_JAVA_OPTS", "CONVEYOR_HOME",
            // ops/bin/with-jdk: where to look for a JDK.
            "CONVEYOR_JDK_ROOTS",
            // test-harness (TestPostgres, TestKafka): an existing PostgreSQL / Kafka for the tests.
            "CONVEYOR_TEST_DB_URL", "CONVEYOR_TEST_DB_USER", "CONVEYOR_TEST_DB_PASSWORD", "CONVEYOR_TEST_KAFKA_BOOTSTRAP",
            // ops/dev/regenerate-jooq sets it for schema's JooqDriftIT.
            "CONVEYOR_REGENERATE_JOOQ",
            // ops/bin/chaos and the chaos suite (Cluster, PostgresServer, ExecutionLog in the roles it starts).
            "CONVEYOR_CHAOS_CLASSPATH", "CONVEYOR_CHAOS_SUITE_OPTS", "CONVEYOR_CHAOS_JAVA_OPTS", "CONVEYOR_CHAOS_PG_BIN",
            "CONVEYOR_CHAOS_EXEC_DIR");

    /**
     * Name spaces owned by the test harness and the chaos suite: a variable they add later must not
     * stop the roles they start. No configuration section is named {@code test} or {@code chaos}.
     */
    static final List<String> NOT_CONFIGURATION_PREFIXES = List.of("CONVEYOR_TEST_", "CONVEYOR_CHAOS_");

    private static final LevenshteinDistance DISTANCE = LevenshteinDistance.getDefaultInstance();

    private EnvironmentOverrides() {}

    /**
     * Writes the values of the known variables into {@code tree}.
     *
     * @throws ConfigException naming the first unknown {@code CONVEYOR_*} variable
     */
    static void apply(ObjectNode tree, Map<String, String> env) {
        Set<String> known = new TreeSet<>();
        for (ConfigKeys.Key key : ConfigKeys.fromEnvironment()) {
            known.add(key.envVar());
            String value = env.get(key.envVar());
            if (value != null) {
                put(tree, key, value);
            }
        }
        for (String name : new TreeSet<>(env.keySet())) {
            if (name.startsWith(PREFIX) && !known.contains(name) && !NOT_CONFIGURATION.contains(name)
                    && NOT_CONFIGURATION_PREFIXES.stream().noneMatch(name::startsWith)) {
                throw unknown(name, known);
            }
        }
    }

    private static ConfigException unknown(String name, Set<String> known) {
        Optional<String> closest = known.stream()
                .min(Comparator.comparingInt((String k) -> DISTANCE.apply(name, k)))
                .filter(k -> DISTANCE.apply(name, k) <= Math.max(2, (name.length() - PREFIX.length()) / 3));
        return new ConfigException(name, closest.map(k -> "unknown variable; did you mean " + k + "?")
                .orElse("unknown variable: no configuration key is named so (CONVEYOR_ + the key in upper case "
                        + "with dots and dashes as underscores, e.g. CONVEYOR_DB_URL)"));
    }

    private static void put(ObjectNode tree, ConfigKeys.Key key, String value) {
        List<String> parts = key.segments();
        ObjectNode node = tree;
        for (String part : parts.subList(0, parts.size() - 1)) {
            JsonNode child = node.get(part);
            node = child instanceof ObjectNode o ? o : node.putObject(part);
        }
        String last = parts.getLast();
        if (key.kind() == ConfigKeys.Kind.LIST) {
            ArrayNode array = node.putArray(last);
            for (String v : value.split(",")) {
                if (!v.isBlank()) {
                    array.add(v.trim());
                }
            }
        } else {
            node.put(last, value);
        }
    }
}
