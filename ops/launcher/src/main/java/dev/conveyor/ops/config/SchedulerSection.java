package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.scheduler.ScheduleDefinition;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code scheduler.*} and {@code schedules.<name>.*}. The defaults are
 * {@link SchedulerConfig#defaults(String)}; only keys present in the configuration change them.
 */
final class SchedulerSection {

    private SchedulerSection() {}

    /**
     * @param node this node's name ({@code worker.node})
     * @param schedules every recurring schedule to upsert at start
     */
    static SchedulerConfig read(ConfigSection s, KafkaSection kafka, String node, List<ScheduleDefinition> schedules,
            OutboundSettings outbound) {
        try {
            SchedulerConfig d = SchedulerConfig.defaults(kafka.bootstrap());
            return new SchedulerConfig(kafka.bootstrap(), kafka.client(), kafka.topicPrefix(),
                    s.text("group").orElse(d.group()), node, s.integer("batch-size").orElse(d.batchSize()),
                    s.duration("safety-poll").orElse(d.safetyPoll()), schedules, outbound);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("scheduler", e.getMessage());
        }
    }

    /** {@code schedules.<name>}: {@code cron} or {@code every}, {@code zone}, {@code topic}, {@code data}, {@code enabled}. */
    static List<ScheduleDefinition> schedules(ConfigSection schedules) {
        List<ScheduleDefinition> out = new ArrayList<>();
        schedules.sections().forEach((name, s) -> {
            try {
                JsonNode data = s.raw("data");
                out.add(new ScheduleDefinition(name, s.text("cron").orElse(null), s.duration("every").orElse(null),
                        s.parsed("zone", SchedulerSection::zone).orElse(null), s.text("topic").orElse(null),
                        data == null ? new byte[0] : Json.toBytes(data), data == null ? null : "application/json",
                        s.bool("enabled").orElse(true)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(s.path(), e.getMessage());
            }
        });
        return out;
    }

    private static ZoneId zone(String value) {
        try {
            return ZoneId.of(value);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("'" + value + "' is not a time zone (e.g. UTC, Europe/Berlin)");
        }
    }
}
