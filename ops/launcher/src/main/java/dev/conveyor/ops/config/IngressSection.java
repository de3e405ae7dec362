package dev.conveyor.ops.config;

import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.webhooks.WebhookSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code http.*} and {@code webhooks.<source>.*}: the ingress settings. The defaults are
 * {@link IngressConfig.Builder}'s own; only keys present in the configuration change them.
 */
final class IngressSection {

    private IngressSection() {}

    /**
     * What the ingress needs from other sections.
     *
     * @param topics accepted topics ({@code topics} plus dev mode's)
     * @param node this node's name ({@code worker.node})
     * @param workerGroup the workers' consumer group, for lag ({@code worker.group})
     * @param interactiveTimeouts per topic ({@code worker.topics.<topic>.timeout})
     * @param idempotencyWindow how long a key stays taken ({@code retention.idempotency-keys})
     * @param statusModes which topics are lean ({@code worker.status}, {@code worker.topics.<t>.status})
     */
    record Context(KafkaSection kafka, Set<String> topics, String node, String workerGroup,
            Map<String, Duration> interactiveTimeouts, Duration idempotencyWindow,
            dev.conveyor.store.StatusModes statusModes) {}

    static IngressConfig read(ConfigSection http, ConfigSection webhooks, Map<String, WebhookSource> extraWebhooks,
            Context context) {
        Map<String, WebhookSource> sources = new LinkedHashMap<>();
        webhooks.sections().forEach((name, w) -> sources.put(name, webhook(name, w)));
        extraWebhooks.forEach(sources::putIfAbsent);
        KafkaSection kafka = context.kafka();
        try {
            IngressConfig.Builder b = IngressConfig.builder(kafka.bootstrap())
                    .tokens(new LinkedHashSet<>(http.strings("tokens")))
                    .topics(context.topics())
                    .kafkaClient(kafka.client())
                    .topicPrefix(kafka.topicPrefix())
                    .node(context.node())
                    .interactiveTimeouts(context.interactiveTimeouts())
                    .webhooks(sources)
                    .workerGroup(context.workerGroup())
                    .idempotencyWindow(context.idempotencyWindow())
                    .statusModes(context.statusModes());
            http.text("host").ifPresent(b::host);
            http.integer("port").ifPresent(b::port);
            http.size("max-body").ifPresent(b::maxBody);
            http.duration("interactive-timeout").ifPresent(b::interactiveTimeout);
            http.integer("max-pending-interactive").ifPresent(b::maxPendingInteractive);
            http.integer("max-in-flight").ifPresent(b::maxInFlight);
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("http", e.getMessage());
        }
    }

    /** {@code webhooks.<source>}: {@code scheme}, {@code secret} and/or {@code secrets}, {@code topic}, {@code header}, {@code id-header}. */
    private static WebhookSource webhook(String name, ConfigSection w) {
        try {
            List<String> secrets = new ArrayList<>();
            w.text("secret").ifPresent(secrets::add);
            secrets.addAll(w.strings("secrets"));
            return new WebhookSource(name, WebhookSource.Scheme.fromConfig(w.text("scheme").orElse(null)), secrets,
                    w.text("topic").orElse(null), w.text("header").orElse(null), w.text("id-header").orElse(null), null);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(w.path(), e.getMessage());
        }
    }
}
