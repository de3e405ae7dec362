package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.conveyor.ops.config.ConfigProbes.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every key of {@code ops/conveyor.yaml} and of the configuration table (docs/configuration.md) is read and
 * reaches its component: set to a value other than its default (from the file, and from its
 * {@code CONVEYOR_*} variable), it changes the typed settings a role is started with. A key that
 * is only documented has no probe, or its probe sees no change: the test fails naming it.
 */
class ConfigKeysDocumentedTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path ROOT = reactorRoot();
    private static final Map<String, String> FREE_NAMES = Map.of("<topic>", "orders", "<source>", "src",
            "<name>", "sch", "[]", "0");

    @TempDir
    Path dir;

    /** The README table's rows: key → environment column. */
    private static Map<String, String> readmeTable() throws IOException {
        String readme = Files.readString(ROOT.resolve("docs/configuration.md"));
        String section = readme.substring(readme.indexOf("\n## Configuration\n"));
        int next = section.indexOf("\n## ", 5);
        section = next < 0 ? section : section.substring(0, next);
        Map<String, String> rows = new LinkedHashMap<>();
        Pattern row = Pattern.compile("^\\| `([^`]+)` \\| ([^|]+) \\|", Pattern.MULTILINE);
        Matcher m = row.matcher(section);
        while (m.find()) {
            rows.put(m.group(1), m.group(2).trim().replace("`", ""));
        }
        return rows;
    }

    /** The sample file's keys, each as the registry writes it ({@code worker.topics.<topic>.timeout}). */
    private static Set<String> sampleKeys() throws IOException {
        Set<String> keys = new TreeSet<>();
        flatten(YAML.readTree(ROOT.resolve("ops/conveyor.yaml").toFile()), new ArrayList<>(), keys);
        return keys;
    }

    private static void flatten(JsonNode node, List<String> path, Set<String> out) {
        if (!path.isEmpty()) {
            for (ConfigKeys.Key k : ConfigKeys.ALL) {
                if (matches(k.segments(), path)) {
                    out.add(k.path());
                    return;
                }
            }
        }
        if (node.isContainerNode() && node.isEmpty()) {
            return; // an empty section or list (notifications: []) holds no key
        }
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(e.getValue(), append(path, e.getKey()), out));
        } else if (node.isArray() && node.size() > 0 && node.get(0).isObject()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(node.get(i), append(path, "[" + i + "]"), out);
            }
        } else {
            out.add(UnknownKeys.render(path) + " (not a known key)");
        }
    }

    private static boolean matches(List<String> pattern, List<String> path) {
        if (pattern.size() != path.size()) {
            return false;
        }
        for (int i = 0; i < pattern.size(); i++) {
            String p = pattern.get(i);
            boolean ok = p.equals("[]") ? path.get(i).startsWith("[") : p.startsWith("<") || p.equals(path.get(i));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static List<String> append(List<String> path, String segment) {
        List<String> out = new ArrayList<>(path);
        out.add(segment);
        return out;
    }

    @Test
    void everyKeyOfTheSampleAndTheReadmeIsKnownAndProbed() throws IOException {
        Set<String> known = ConfigKeys.ALL.stream().map(ConfigKeys.Key::path).collect(Collectors.toSet());
        Set<String> documented = new TreeSet<>(readmeTable().keySet());
        Set<String> sample = sampleKeys();
        assertThat(documented).as("docs/configuration.md keys that no reader knows").isSubsetOf(known);
        assertThat(sample).as("ops/conveyor.yaml keys that no reader knows").isSubsetOf(known);
        assertThat(known).as("known keys missing from docs/configuration.md").isSubsetOf(documented);
        assertThat(ConfigProbes.PROBES.keySet()).as("every known key has a probe").containsExactlyInAnyOrderElementsOf(known);
    }

    @Test
    void eachKeyFromTheFileReachesItsComponent() throws IOException {
        ConveyorConfig base = load(base(), Map.of());
        for (ConfigKeys.Key key : ConfigKeys.ALL) {
            Probe probe = ConfigProbes.PROBES.get(key.path());
            ObjectNode tree = base();
            probe.remove().forEach(r -> remove(tree, r));
            set(tree, key.path(), YAML.valueToTree(probe.value()));
            ConveyorConfig changed = load(tree, Map.of());
            assertThat(probe.read().apply(changed)).as(key.path() + " set to " + probe.value()).isEqualTo(probe.expected());
            assertThat(probe.read().apply(base)).as(key.path() + ": the probe's value must not be the default")
                    .isNotEqualTo(probe.expected());
        }
    }

    @Test
    void eachEnvironmentVariableOfTheReadmeReachesItsComponent() throws IOException {
        Map<String, String> table = readmeTable();
        ConveyorConfig base = load(base(), Map.of());
        for (ConfigKeys.Key key : ConfigKeys.ALL) {
            String column = table.get(key.path());
            if (!key.fromEnvironment()) {
                assertThat(column).as(key.path() + " has no variable").isEqualTo("—");
                continue;
            }
            assertThat(column).as(key.path() + "'s variable in docs/configuration.md").isEqualTo(key.envVar());
            Probe probe = ConfigProbes.PROBES.get(key.path());
            String value = probe.value() instanceof List<?> list
                    ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                    : String.valueOf(probe.value());
            ConveyorConfig changed = load(base(), Map.of(key.envVar(), value));
            assertThat(probe.read().apply(changed)).as(key.envVar() + "=" + value).isEqualTo(probe.expected());
            assertThat(probe.read().apply(base)).isNotEqualTo(probe.expected());
        }
    }

    /** The sample says "every key with its default": its values are the defaults (names it chooses aside). */
    @Test
    void theSampleShowsTheTrueDefaults() throws IOException {
        JsonNode sample = YAML.readTree(ROOT.resolve("ops/conveyor.yaml").toFile());
        ConveyorConfig defaults = load(base(), Map.of());
        for (String key : sampleKeys()) {
            if (key.contains("<") || key.contains("[]") || key.equals("topics")) {
                continue; // example names and topics, not defaults
            }
            ObjectNode tree = base();
            set(tree, key, get(sample, key));
            Probe probe = ConfigProbes.PROBES.get(key);
            assertThat(probe.read().apply(load(tree, Map.of()))).as(key + " in ops/conveyor.yaml")
                    .isEqualTo(probe.read().apply(defaults));
        }
    }

    @Test
    void everyConveyorVariableTheScriptsAndTestsReadIsConfigurationOrAllowed() throws IOException {
        Set<String> config = ConfigKeys.fromEnvironment().stream().map(ConfigKeys.Key::envVar).collect(Collectors.toSet());
        Pattern variable = Pattern.compile("CONVEYOR_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])");
        Set<String> found = new TreeSet<>();
        for (String where : List.of("ops/bin", "ops/dev", "ops/deploy", ".ci", "test-harness/src", "ops/chaos/src",
                "schema/src", "worker/src", "producer/src", "ops/launcher/src/main", "docs", "README.md")) {
            Path p = ROOT.resolve(where);
            if (!Files.exists(p)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(p)) {
                Path registry = ROOT.resolve("ops/launcher/src/main/java/dev/conveyor/ops/config"); // the list itself
                for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.startsWith(registry)).toList()) {
                    Matcher m = variable.matcher(Files.readString(f));
                    while (m.find()) {
                        found.add(m.group());
                    }
                }
            }
        }
        assertThat(found).isNotEmpty().allSatisfy(v -> assertThat(config.contains(v)
                || EnvironmentOverrides.NOT_CONFIGURATION.contains(v)).as(v + ": a key's variable or allowed").isTrue());
        assertThat(EnvironmentOverrides.NOT_CONFIGURATION).allSatisfy(v -> assertThat(found).contains(v));
    }

    private ObjectNode base() throws IOException {
        return (ObjectNode) YAML.readTree(ConfigProbes.BASE);
    }

    private ConveyorConfig load(JsonNode tree, Map<String, String> env) throws IOException {
        Path file = dir.resolve("conveyor.yaml");
        Files.writeString(file, YAML.writeValueAsString(tree));
        return ConveyorConfig.load(file, env);
    }

    private static List<String> concrete(String key) {
        return new ConfigKeys.Key(key, ConfigKeys.Kind.VALUE).segments().stream()
                .map(s -> FREE_NAMES.getOrDefault(s, s)).toList();
    }

    private static void set(ObjectNode tree, String key, JsonNode value) {
        List<String> path = concrete(key);
        JsonNode node = tree;
        for (String s : path.subList(0, path.size() - 1)) {
            node = node.isArray() ? node.get(Integer.parseInt(s))
                    : node.has(s) ? node.get(s) : ((ObjectNode) node).putObject(s);
        }
        ((ObjectNode) node).set(path.getLast(), value);
    }

    private static JsonNode get(JsonNode tree, String key) {
        JsonNode node = tree;
        for (String s : concrete(key)) {
            node = node.isArray() ? node.get(Integer.parseInt(s)) : node.get(s);
        }
        return node;
    }

    private static void remove(ObjectNode tree, String key) {
        List<String> path = concrete(key);
        ((ObjectNode) get(tree, String.join(".", path.subList(0, path.size() - 1)))).remove(path.getLast());
    }

    private static Path reactorRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("ops/conveyor.yaml")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no README.md with ops/conveyor.yaml above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

}
