package dev.conveyor.worker;

import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Extension;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.ScheduledExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The extensions a worker runs, each owning its topics. Found with {@link ServiceLoader} or
 * given explicitly; validated when built, so a bad set stops the worker at start with a message
 * naming the culprits.
 */
public final class Extensions {

    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final List<Extension> all;
    private final Map<String, Extension> byTopic;

    private Extensions(List<Extension> all) {
        Map<String, Extension> topics = new LinkedHashMap<>();
        Map<String, Extension> names = new LinkedHashMap<>();
        for (Extension ext : all) {
            int kinds = (ext instanceof BackgroundExtension ? 1 : 0) + (ext instanceof InteractiveExtension ? 1 : 0)
                    + (ext instanceof ScheduledExtension ? 1 : 0);
            if (kinds != 1) {
                throw new IllegalStateException("extension " + describe(ext) + " must implement exactly one of "
                        + "BackgroundExtension, InteractiveExtension, ScheduledExtension (implements " + kinds + ")");
            }
            String name = ext.name();
            if (name == null || name.isBlank()) {
                throw new IllegalStateException("extension " + ext.getClass().getName() + " has an empty name()");
            }
            Extension sameName = names.putIfAbsent(name, ext);
            if (sameName != null) {
                throw new IllegalStateException("extensions " + sameName.getClass().getName() + " and "
                        + ext.getClass().getName() + " are both named '" + name + "'; override name() in one of them");
            }
            Set<String> declared = ext.topics();
            if (declared == null || declared.isEmpty()) {
                throw new IllegalStateException("extension " + describe(ext) + " declares no topics");
            }
            for (String topic : declared) {
                if (topic == null || !TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
                    throw new IllegalStateException("extension " + describe(ext) + " declares invalid topic '" + topic
                            + "' (Kafka topics are 1-249 characters of a-z, A-Z, 0-9, '.', '_', '-')");
                }
                Extension owner = topics.putIfAbsent(topic, ext);
                if (owner != null) {
                    throw new IllegalStateException("topic '" + topic + "' is claimed by two extensions: "
                            + describe(owner) + " and " + describe(ext) + "; a topic belongs to exactly one extension");
                }
            }
        }
        this.all = List.copyOf(all);
        this.byTopic = Collections.unmodifiableMap(topics);
    }

    /**
     * Every extension listed in {@code META-INF/services/} files for the three SPI interfaces
     * visible to {@code classLoader}.
     *
     * @throws IllegalStateException when two extensions claim a topic, or one is invalid
     */
    public static Extensions load(ClassLoader classLoader) {
        return load(classLoader, e -> true);
    }

    /**
     * The extensions {@link #load(ClassLoader)} finds that {@code include} accepts (the others are
     * not checked for topic conflicts either).
     *
     * @throws IllegalStateException when two included extensions claim a topic, or one is invalid
     */
    public static Extensions load(ClassLoader classLoader, java.util.function.Predicate<Extension> include) {
        List<Extension> found = new ArrayList<>();
        ServiceLoader.load(BackgroundExtension.class, classLoader).forEach(found::add);
        ServiceLoader.load(InteractiveExtension.class, classLoader).forEach(found::add);
        ServiceLoader.load(ScheduledExtension.class, classLoader).forEach(found::add);
        found.removeIf(include.negate());
        return new Extensions(found);
    }

    /** Exactly these extensions. @throws IllegalStateException as {@link #load} */
    public static Extensions of(Extension... extensions) {
        return new Extensions(List.of(extensions));
    }

    /** Exactly these extensions. @throws IllegalStateException as {@link #load} */
    public static Extensions of(List<? extends Extension> extensions) {
        return new Extensions(List.copyOf(extensions));
    }

    public List<Extension> all() {
        return all;
    }

    /** The extension owning {@code topic}. */
    public Optional<Extension> forTopic(String topic) {
        return Optional.ofNullable(byTopic.get(topic));
    }

    /** Every topic some extension owns. */
    public Set<String> topics() {
        return byTopic.keySet();
    }

    private static String describe(Extension ext) {
        return "'" + ext.name() + "' (" + ext.getClass().getName() + ")";
    }
}
