package dev.conveyor.worker.internal;

import static dev.conveyor.store.db.jooq.Tables.EXTENSION_CONFIGS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.spi.Extension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extension configurations from {@code extension_configs}, cached in memory so attaching
 * {@code Task.config()} costs nothing per task. Seeded from each extension's
 * {@code defaultConfig()} the first time it is loaded (an existing row is never overwritten), and
 * re-read periodically ({@code worker.config-refresh}): one small query for all extensions, so an
 * operator's edit reaches running workers within the refresh interval.
 */
final class ExtensionConfigCache {

    private static final Logger log = LoggerFactory.getLogger(ExtensionConfigCache.class);

    private final DSLContext dsl;
    private final Map<String, ObjectNode> configs = new ConcurrentHashMap<>();
    private final Map<String, Integer> versions = new ConcurrentHashMap<>();

    ExtensionConfigCache(DSLContext dsl) {
        this.dsl = dsl;
    }

    /** Inserts a row for every extension that has none, then loads all rows. */
    void seed(List<Extension> extensions) {
        for (Extension ext : extensions) {
            Map<String, Object> defaults = ext.defaultConfig() == null ? Map.of() : ext.defaultConfig();
            JsonNode json;
            try {
                json = Json.mapper().valueToTree(defaults);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("defaultConfig() of extension '" + ext.name()
                        + "' is not JSON-compatible: " + e.getMessage(), e);
            }
            int inserted = dsl.insertInto(EXTENSION_CONFIGS)
                    .set(EXTENSION_CONFIGS.EXTENSION, ext.name())
                    .set(EXTENSION_CONFIGS.CONFIG, JSONB.valueOf(json.toString()))
                    .onConflict(EXTENSION_CONFIGS.EXTENSION)
                    .doNothing()
                    .execute();
            if (inserted > 0) {
                log.info("Seeded extension_configs for '{}' from its defaults", ext.name());
            }
        }
        refresh();
    }

    /** Re-reads every row; changes show up in the next tasks dispatched. */
    void refresh() {
        dsl.select(EXTENSION_CONFIGS.EXTENSION, EXTENSION_CONFIGS.CONFIG, EXTENSION_CONFIGS.VERSION)
                .from(EXTENSION_CONFIGS)
                .fetch()
                .forEach(r -> {
                    Integer known = versions.get(r.value1());
                    if (known == null || !known.equals(r.value3()) || !configs.containsKey(r.value1())) {
                        JsonNode node = Json.parse(r.value2().data().getBytes(StandardCharsets.UTF_8));
                        configs.put(r.value1(), node.isObject() ? (ObjectNode) node : Json.emptyObject());
                        versions.put(r.value1(), r.value3());
                        if (known != null) {
                            log.info("extension_configs of '{}' changed (version {} -> {})", r.value1(), known, r.value3());
                        }
                    }
                });
    }

    /** The configuration of {@code extension}; an empty object when it has no row. Do not modify. */
    JsonNode get(String extension) {
        JsonNode node = configs.get(extension);
        return node == null ? Json.emptyObject() : node;
    }
}
