package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One mapping of the configuration ({@code worker}, {@code worker.topics.orders},
 * {@code notifications[ops-alert]}) with typed readers. An absent key reads as empty, so the
 * default stays with the component's settings; a wrong value is a {@link ConfigException} naming
 * the full key.
 */
final class ConfigSection {

    private final JsonNode node;
    private final String path;

    ConfigSection(JsonNode node, String path) {
        this.node = node == null || node.isNull() ? MissingNode.getInstance() : node;
        this.path = path;
        if (!this.node.isMissingNode() && !this.node.isObject()) {
            throw new ConfigException(path, "must be a mapping, was " + node);
        }
    }

    /** This section's own key, e.g. {@code worker.backoff}. */
    String path() {
        return path;
    }

    /** The full key of {@code field} in this section. */
    String key(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    /** True when the section is in the file (possibly empty). */
    boolean present() {
        return !node.isMissingNode();
    }

    boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** The value as it is (JSON data, templates), or null. */
    JsonNode raw(String field) {
        return has(field) ? node.get(field) : null;
    }

    /** A nested mapping; empty when absent. */
    ConfigSection section(String field) {
        return new ConfigSection(node.get(field), key(field));
    }

    /** The entries of a mapping whose keys are names ({@code worker.topics}, {@code webhooks}), in file order. */
    Map<String, ConfigSection> sections() {
        Map<String, ConfigSection> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), new ConfigSection(e.getValue(), key(e.getKey()))));
        return out;
    }

    Optional<String> text(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isValueNode()) {
            throw new ConfigException(key(field), "must be a single value, was " + v);
        }
        return Optional.of(v.asText());
    }

    /** {@code text} turned into a value by {@code parse}; its {@link IllegalArgumentException} names this key. */
    <T> Optional<T> parsed(String field, Function<String, T> parse) {
        Optional<String> v = text(field);
        try {
            return v.map(parse);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key(field), e.getMessage());
        }
    }

    Optional<Integer> integer(String field) {
        return text(field).map(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key(field), "must be a whole number, was '" + v + "'");
            }
        });
    }

    Optional<Double> decimal(String field) {
        return text(field).map(v -> {
            try {
                return Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key(field), "must be a number, was '" + v + "'");
            }
        });
    }

    Optional<Boolean> bool(String field) {
        return text(field).map(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key(field), "must be true or false, was '" + v + "'");
        });
    }

    Optional<Duration> duration(String field) {
        return parsed(field, Quantities::duration);
    }

    Optional<Long> size(String field) {
        return parsed(field, Quantities::size);
    }

    /** A list of values, or one value as a list of one; empty when absent. */
    List<String> strings(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (v.isValueNode()) {
            return List.of(v.asText());
        }
        if (!v.isArray()) {
            throw new ConfigException(key(field), "must be a list, e.g. [a, b]");
        }
        List<String> out = new ArrayList<>();
        v.forEach(x -> {
            if (!x.isValueNode()) {
                throw new ConfigException(key(field), "must be a list of single values, was " + v);
            }
            out.add(x.asText());
        });
        return out;
    }

    /** A mapping of free names to single values, as text ({@code kafka.client}, {@code headers}). */
    Map<String, String> properties(String field) {
        Map<String, String> out = new LinkedHashMap<>();
        section(field).node.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new ConfigException(key(field) + "." + e.getKey(), "must be a single value");
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }
}
