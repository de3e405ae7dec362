package dev.conveyor.worker.spi;

import java.util.Map;
import java.util.Set;

/**
 * What every extension declares: the topics it handles, its name, its default configuration and
 * its default settings. Implement one of {@link BackgroundExtension}, {@link InteractiveExtension}
 * or {@link ScheduledExtension}, not this interface directly, and list the class in
 * {@code META-INF/services/<that interface's name>} so the worker finds it with
 * {@link java.util.ServiceLoader}.
 *
 * <p>A topic belongs to exactly one extension: two extensions claiming the same topic stop the
 * worker at start with an error naming both.
 */
public interface Extension {

    /** The Kafka topics whose tasks this extension runs. Must not be empty. */
    Set<String> topics();

    /**
     * The extension's name, as written to {@code tasks.extension} and used as the key of its
     * {@code extension_configs} row. Defaults to the class's simple name; must be unique.
     */
    default String name() {
        String simple = getClass().getSimpleName();
        return simple.isEmpty() ? getClass().getName() : simple;
    }

    /**
     * The configuration seeded into {@code extension_configs} the first time the extension is
     * loaded (later changes by operators are kept). Values must be JSON-compatible: strings,
     * numbers, booleans, lists and maps. Read it back with {@code task.config()}.
     */
    default Map<String, Object> defaultConfig() {
        return Map.of();
    }

    /**
     * Defaults for this extension's guards (timeout, max attempts, ordering, concurrency,
     * backoff). They override the worker-wide {@code worker.*} settings and are overridden by
     * {@code worker.topics.<topic>.*} in the configuration file.
     */
    default ExtensionSettings settings() {
        return ExtensionSettings.none();
    }
}
