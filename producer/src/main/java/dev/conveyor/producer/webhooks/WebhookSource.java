package dev.conveyor.producer.webhooks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A webhook sender ({@code webhooks.<name>} in {@code conveyor.yaml}): requests to
 * {@code POST /v1/webhooks/<name>} are verified with {@code scheme} and enqueued to {@code topic}.
 *
 * @param name the source's name (the path segment)
 * @param scheme how requests are signed
 * @param secrets signing secrets; several are accepted during a rotation ({@code secret} or {@code secrets})
 * @param topic where verified requests are enqueued
 * @param signatureHeader for {@code hmac-sha256}: the header carrying the hex signature (default {@code X-Signature})
 * @param idHeader for {@code hmac-sha256}: the header carrying a message id used to drop repeats, or null
 * @param tolerance for {@code standard-webhooks}: how far the timestamp may be from now (default 5 min)
 */
public record WebhookSource(String name, Scheme scheme, List<String> secrets, String topic, String signatureHeader,
        String idHeader, Duration tolerance) {

    /** Signature schemes. */
    public enum Scheme {
        /** <a href="https://www.standardwebhooks.com/">Standard Webhooks</a>: webhook-id, webhook-timestamp, webhook-signature. */
        STANDARD_WEBHOOKS("standard-webhooks"),
        /** GitHub: {@code X-Hub-Signature-256: sha256=<hex>}, id in {@code X-GitHub-Delivery}. */
        GITHUB("github"),
        /** A hex HMAC-SHA256 of the body in a configurable header. */
        HMAC_SHA256("hmac-sha256");

        private final String configName;

        Scheme(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        /** @throws IllegalArgumentException listing the schemes */
        public static Scheme fromConfig(String value) {
            for (Scheme s : values()) {
                if (s.configName.equals(value == null ? null : value.toLowerCase(Locale.ROOT))) {
                    return s;
                }
            }
            throw new IllegalArgumentException("'" + value + "' is not a webhook scheme (standard-webhooks, github, "
                    + "hmac-sha256)");
        }
    }

    public WebhookSource {
        String key = "webhooks." + name;
        Objects.requireNonNull(name, "webhooks: name");
        Objects.requireNonNull(scheme, key + ".scheme");
        secrets = List.copyOf(Objects.requireNonNullElse(secrets, List.of()));
        if (secrets.isEmpty() || secrets.stream().anyMatch(s -> s == null || s.isBlank())) {
            throw new IllegalArgumentException(key + ".secret is required");
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException(key + ".topic is required");
        }
        signatureHeader = signatureHeader == null ? "X-Signature" : signatureHeader;
        tolerance = tolerance == null ? Duration.ofMinutes(5) : tolerance;
        for (String secret : secrets) {
            WebhookVerifier.key(scheme, secret, key); // validates whsec_ secrets now, not at the first request
        }
    }

    /** A source with one secret and the defaults. */
    public static WebhookSource of(String name, Scheme scheme, String secret, String topic) {
        return new WebhookSource(name, scheme, List.of(secret), topic, null, null, null);
    }
}
