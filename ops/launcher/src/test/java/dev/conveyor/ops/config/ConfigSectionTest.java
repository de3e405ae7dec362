package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigSectionTest {

    private static ConfigSection worker(String yaml) throws Exception {
        JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        return new ConfigSection(tree, "").section("worker");
    }

    @Test
    void absentKeysAreEmptySoTheDefaultStaysWithTheSettings() throws Exception {
        ConfigSection w = worker("other: 1");
        assertThat(w.present()).isFalse();
        assertThat(w.duration("timeout")).isEmpty();
        assertThat(w.strings("tokens")).isEmpty();
        assertThat(w.section("topics").sections()).isEmpty();
    }

    @Test
    void typedValuesAndTheirKeys() throws Exception {
        ConfigSection w = worker("""
                worker: { timeout: 20s, concurrency: "8", jitter: 0.5, on: yes, tokens: one,
                          list: [a, b], client: { a.b: 1 }, topics: { orders: { rate: 5/s } } }
                """);
        assertThat(w.duration("timeout")).contains(Duration.ofSeconds(20));
        assertThat(w.integer("concurrency")).contains(8);
        assertThat(w.decimal("jitter")).contains(0.5);
        assertThat(w.bool("on")).contains(true);
        assertThat(w.strings("tokens")).containsExactly("one");
        assertThat(w.strings("list")).containsExactly("a", "b");
        assertThat(w.properties("client")).isEqualTo(Map.of("a.b", "1"));
        assertThat(w.section("topics").sections().get("orders").key("rate")).isEqualTo("worker.topics.orders.rate");
    }

    @Test
    void wrongValuesNameTheFullKey() throws Exception {
        ConfigSection w = worker("worker: { timeout: soon, concurrency: many, on: maybe, group: [a], topics: 5 }");
        assertThatThrownBy(() -> w.duration("timeout")).hasMessageStartingWith("worker.timeout: 'soon' is not a duration");
        assertThatThrownBy(() -> w.integer("concurrency")).hasMessage("worker.concurrency: must be a whole number, was 'many'");
        assertThatThrownBy(() -> w.bool("on")).hasMessage("worker.on: must be true or false, was 'maybe'");
        assertThatThrownBy(() -> w.text("group")).hasMessageStartingWith("worker.group: must be a single value");
        assertThatThrownBy(() -> w.section("topics")).hasMessageStartingWith("worker.topics: must be a mapping");
        assertThat(w.parsed("group2", s -> s)).isEqualTo(Optional.empty());
        assertThatThrownBy(() -> worker("worker: { x: 1 }").parsed("x", s -> {
            throw new IllegalArgumentException("no good");
        })).hasMessage("worker.x: no good");
        assertThat(List.of(w.key("a"), new ConfigSection(null, "").key("a"))).containsExactly("worker.a", "a");
    }
}
