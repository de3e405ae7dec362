package dev.conveyor.ops.config;

import dev.conveyor.worker.recorder.RecorderConfig;
import java.util.Set;

/**
 * {@code recorder.*}. The defaults are {@link RecorderConfig#defaults}; only keys present in the
 * configuration change them.
 */
final class RecorderSection {

    private RecorderSection() {}

    /**
     * @param node this node's name ({@code worker.node})
     * @param topics the task topics to record ({@code topics:} and whatever the process adds)
     */
    static RecorderConfig read(ConfigSection s, KafkaSection kafka, String node, Set<String> topics) {
        try {
            RecorderConfig d = RecorderConfig.defaults(kafka.bootstrap(), kafka.topicPrefix(), topics);
            return new RecorderConfig(s.bool("enabled").orElse(d.enabled()), kafka.bootstrap(), kafka.client(),
                    s.text("group").orElse(d.group()), node, topics, s.integer("batch-size").orElse(d.batchSize()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("recorder", e.getMessage());
        }
    }
}
