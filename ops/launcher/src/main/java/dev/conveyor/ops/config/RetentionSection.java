package dev.conveyor.ops.config;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.retention.RetentionConfig;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code retention.*}: the defaults are {@link RetentionConfig#DEFAULTS}; only keys present change them. */
final class RetentionSection {

    private RetentionSection() {}

    static RetentionConfig read(ConfigSection s) {
        RetentionConfig d = RetentionConfig.DEFAULTS;
        try {
            Map<TaskStatus, Duration> ages = new EnumMap<>(TaskStatus.class);
            d.ages().forEach((status, age) -> ages.put(status, s.duration(status.wireName()).orElse(age)));
            Map<String, Map<TaskStatus, Duration>> topics = new LinkedHashMap<>();
            s.section("topics").sections().forEach((topic, t) -> {
                Map<TaskStatus, Duration> overrides = new EnumMap<>(TaskStatus.class);
                d.ages().keySet().forEach(status -> t.duration(status.wireName()).ifPresent(a -> overrides.put(status, a)));
                topics.put(topic, overrides);
            });
            return new RetentionConfig(ages, topics, s.duration("outbox").orElse(d.outbox()),
                    s.duration("idempotency-keys").orElse(d.idempotencyKeys()),
                    s.duration("history-partition").orElse(d.historyPartition()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("retention", e.getMessage());
        }
    }
}
