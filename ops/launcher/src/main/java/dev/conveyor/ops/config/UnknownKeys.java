package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Stops start-up at the first key of a configuration file that no section reads, naming the key
 * and the closest known one ({@code worker.shutdown-grase: unknown key; did you mean
 * worker.shutdown-grace?}), so a misspelt setting cannot silently keep its default.
 */
final class UnknownKeys {

    private static final LevenshteinDistance DISTANCE = LevenshteinDistance.getDefaultInstance();

    /** A level of the known keys: fixed names, a free name ({@code <topic>}) or list elements ({@code []}). */
    private static final class Level {
        final Map<String, Level> named = new TreeMap<>();
        Level anyName;
        Level element;
        boolean key;
        List<String> pattern = List.of();
    }

    private static final Level ROOT = tree(ConfigKeys.ALL);

    private UnknownKeys() {}

    /** @throws ConfigException naming the first unknown key */
    static void check(JsonNode file) {
        walk(file, ROOT, List.of());
    }

    private static void walk(JsonNode value, Level level, List<String> path) {
        if (level.key) {
            return; // the section reader checks the value's type; a MAP is open below
        }
        if (level.element != null) {
            for (int i = 0; value.isArray() && i < value.size(); i++) {
                JsonNode name = value.get(i).path("name");
                String label = name.isTextual() && !name.asText().isBlank() ? name.asText() : Integer.toString(i);
                walk(value.get(i), level.element, append(path, "[" + label + "]"));
            }
            return;
        }
        for (var it = value.isObject() ? value.fields() : java.util.Collections.<Map.Entry<String, JsonNode>>emptyIterator();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            Level next = level.named.getOrDefault(field.getKey(), level.anyName);
            if (next == null) {
                throw unknown(append(path, field.getKey()), level);
            }
            walk(field.getValue(), next, append(path, field.getKey()));
        }
    }

    private static ConfigException unknown(List<String> path, Level parent) {
        String key = render(path);
        String field = path.getLast();
        Optional<String> closest = all(ROOT).stream()
                .map(known -> render(instantiate(known.pattern, path)))
                .filter(known -> !known.isEmpty())
                .min(Comparator.comparingInt((String known) -> DISTANCE.apply(key, known)).thenComparing(known -> known))
                .filter(known -> DISTANCE.apply(key, known) <= Math.max(2, field.length() / 3));
        return new ConfigException(key, closest.map(k -> "unknown key; did you mean " + k + "?")
                .orElse("unknown key; known: " + parent.named.keySet()));
    }

    /** A known pattern with its free segments replaced by the names the unknown key used there. */
    private static List<String> instantiate(List<String> pattern, List<String> path) {
        List<String> out = new ArrayList<>(pattern);
        for (int i = 0; i < out.size() && i < path.size(); i++) {
            boolean free = out.get(i).startsWith("<") || out.get(i).equals("[]");
            if (free && (out.get(i).equals("[]") == path.get(i).startsWith("["))) {
                out.set(i, path.get(i));
            }
        }
        return out;
    }

    /** {@code worker.topics.orders.timeout}, {@code notifications[ops-alert].url}. */
    static String render(List<String> segments) {
        StringBuilder b = new StringBuilder();
        for (String s : segments) {
            if (!b.isEmpty() && !s.startsWith("[")) {
                b.append('.');
            }
            b.append(s);
        }
        return b.toString();
    }

    private static List<String> append(List<String> path, String segment) {
        List<String> out = new ArrayList<>(path);
        out.add(segment);
        return out;
    }

    private static Level tree(List<ConfigKeys.Key> keys) {
        Level root = new Level();
        for (ConfigKeys.Key k : keys) {
            Level level = root;
            List<String> pattern = new ArrayList<>();
            for (String segment : k.segments()) {
                pattern.add(segment);
                Level parent = level;
                if (segment.equals("[]")) {
                    level = parent.element = parent.element != null ? parent.element : new Level();
                } else if (segment.startsWith("<")) {
                    level = parent.anyName = parent.anyName != null ? parent.anyName : new Level();
                } else {
                    level = parent.named.computeIfAbsent(segment, s -> new Level());
                }
                level.pattern = List.copyOf(pattern);
            }
            level.key = true;
        }
        return root;
    }

    /** Every level below {@code level}: keys and the groups holding them are both candidates for a suggestion. */
    private static List<Level> all(Level level) {
        List<Level> out = new ArrayList<>();
        List<Level> children = new ArrayList<>(level.named.values());
        if (level.anyName != null) {
            children.add(level.anyName);
        }
        if (level.element != null) {
            children.add(level.element);
        }
        for (Level child : children) {
            out.add(child);
            out.addAll(all(child));
        }
        return out;
    }
}
