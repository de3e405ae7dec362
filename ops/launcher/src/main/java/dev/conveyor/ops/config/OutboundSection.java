package dev.conveyor.ops.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.outbound.CallbackSettings;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import dev.conveyor.worker.outbound.PayloadTemplate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code callbacks.*} and {@code notifications[]}. The defaults are
 * {@link CallbackSettings#defaults()}. A notification error names the notification and the field,
 * e.g. {@code notifications[ops-alert].payload: unknown parameter {task.foo}}.
 */
final class OutboundSection {

    private OutboundSection() {}

    static OutboundSettings read(ConfigSection c, JsonNode notifications) {
        CallbackSettings d = CallbackSettings.defaults();
        CallbackSettings callbacks;
        try {
            callbacks = new CallbackSettings(c.text("secret").orElse(d.secret()),
                    c.integer("max-attempts").orElse(d.maxAttempts()),
                    c.bool("allow-private-networks").orElse(d.allowPrivateNetworks()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("callbacks", e.getMessage());
        }
        if (notifications != null && !notifications.isNull() && !notifications.isArray()) {
            throw new ConfigException("notifications", "must be a list of { name, on, topics, url, method, headers, payload }");
        }
        List<NotificationSettings> list = new ArrayList<>();
        for (int i = 0; notifications != null && i < notifications.size(); i++) {
            list.add(notification(notifications.get(i), i));
        }
        try {
            return new OutboundSettings(callbacks, list, OutboundSettings.Tuning.defaults());
        } catch (NotificationSettings.Invalid e) {
            throw new ConfigException("notifications[" + e.notification() + "]." + e.field(), e.getMessage());
        }
    }

    private static NotificationSettings notification(JsonNode n, int index) {
        if (!n.isObject()) {
            throw new ConfigException("notifications[" + index + "]", "must be a mapping with name, on, url, ...");
        }
        JsonNode nameNode = n.get("name");
        if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
            throw new ConfigException("notifications[" + index + "].name", "is required");
        }
        String name = nameNode.asText();
        ConfigSection s = new ConfigSection(n, "notifications[" + name + "]");
        try {
            Set<TaskStatus> on = new LinkedHashSet<>();
            for (String status : s.strings("on")) {
                on.add(NotificationSettings.status(name, status));
            }
            String url = s.text("url").orElseThrow(() -> new ConfigException(s.key("url"), "is required"));
            PayloadTemplate payload = null;
            if (s.raw("payload") != null) {
                try {
                    payload = PayloadTemplate.parse(s.raw("payload"));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(s.key("payload"), e.getMessage());
                }
            }
            return new NotificationSettings(name, on, new LinkedHashSet<>(s.strings("topics")),
                    NotificationSettings.url(name, url), s.text("method").orElse(null), s.properties("headers"), payload);
        } catch (NotificationSettings.Invalid e) {
            throw new ConfigException("notifications[" + e.notification() + "]." + e.field(), e.getMessage());
        }
    }
}
