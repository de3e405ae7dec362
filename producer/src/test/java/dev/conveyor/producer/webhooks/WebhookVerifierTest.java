package dev.conveyor.producer.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

    // The test vector published by the Standard Webhooks specification and its reference libraries.
    private static final String SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final String SW_TIMESTAMP = "1614265330";
    private static final byte[] SW_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static final Instant SW_NOW = Instant.ofEpochSecond(1614265330);

    private static java.util.function.Function<String, String> headers(String... pairs) {
        Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map::get;
    }

    private final WebhookSource standard = WebhookSource.of("billing", WebhookSource.Scheme.STANDARD_WEBHOOKS, SW_SECRET,
            "orders");

    @Test
    void standardWebhooksTestVectorVerifies() throws Exception {
        String id = WebhookVerifier.verify(standard, headers("webhook-id", SW_ID, "webhook-timestamp", SW_TIMESTAMP,
                "webhook-signature", SW_SIGNATURE), SW_BODY, SW_NOW.plusSeconds(60));
        assertThat(id).isEqualTo(SW_ID);
    }

    @Test
    void standardWebhooksAcceptsAnyListedSignatureAndRotatedSecrets() throws Exception {
        WebhookSource rotated = new WebhookSource("billing", WebhookSource.Scheme.STANDARD_WEBHOOKS,
                List.of("whsec_" + java.util.Base64.getEncoder().encodeToString("new".getBytes()), SW_SECRET), "orders",
                null, null, null);
        assertThat(WebhookVerifier.verify(rotated, headers("webhook-id", SW_ID, "webhook-timestamp", SW_TIMESTAMP,
                "webhook-signature", "v1,bm9wZQ== " + SW_SIGNATURE), SW_BODY, SW_NOW)).isEqualTo(SW_ID);
    }

    @Test
    void standardWebhooksRefusesTamperingAndStaleTimestamps() {
        assertThatThrownBy(() -> WebhookVerifier.verify(standard, headers("webhook-id", SW_ID, "webhook-timestamp",
                SW_TIMESTAMP, "webhook-signature", SW_SIGNATURE), "{\"test\": 1}".getBytes(), SW_NOW))
                .isInstanceOf(WebhookVerifier.VerificationFailed.class).hasMessageContaining("no webhook-signature matches");
        assertThatThrownBy(() -> WebhookVerifier.verify(standard, headers("webhook-id", SW_ID, "webhook-timestamp",
                SW_TIMESTAMP, "webhook-signature", SW_SIGNATURE), SW_BODY, SW_NOW.plus(Duration.ofMinutes(6))))
                .hasMessageContaining("away from now");
        assertThatThrownBy(() -> WebhookVerifier.verify(standard, headers("webhook-timestamp", SW_TIMESTAMP,
                "webhook-signature", SW_SIGNATURE), SW_BODY, SW_NOW)).hasMessageContaining("webhook-id is missing");
    }

    @Test
    void githubDocumentedExampleVerifies() throws Exception {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
        WebhookSource github = WebhookSource.of("github", WebhookSource.Scheme.GITHUB, "It's a Secret to Everybody",
                "orders");
        String id = WebhookVerifier.verify(github, headers("X-Hub-Signature-256",
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "X-GitHub-Delivery", "d-1"),
                "Hello, World!".getBytes(StandardCharsets.UTF_8), Instant.now());
        assertThat(id).isEqualTo("d-1");
        assertThatThrownBy(() -> WebhookVerifier.verify(github, headers("X-Hub-Signature-256",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"),
                "Hello, World!".getBytes(StandardCharsets.UTF_8), Instant.now())).hasMessageContaining("does not match");
    }

    @Test
    void genericHmacUsesItsConfiguredHeader() throws Exception {
        WebhookSource generic = new WebhookSource("shop", WebhookSource.Scheme.HMAC_SHA256, List.of("It's a Secret to Everybody"),
                "orders", "X-Shop-Signature", "X-Shop-Event-Id", null);
        assertThat(WebhookVerifier.verify(generic, headers("X-Shop-Signature",
                        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "X-Shop-Event-Id", "e-9"),
                "Hello, World!".getBytes(StandardCharsets.UTF_8), Instant.now())).isEqualTo("e-9");
    }

    @Test
    void invalidConfigurationNamesTheKey() {
        assertThatThrownBy(() -> WebhookSource.of("billing", WebhookSource.Scheme.STANDARD_WEBHOOKS, "whsec_***", "t"))
                .hasMessageContaining("webhooks.billing.secret");
        assertThatThrownBy(() -> WebhookSource.Scheme.fromConfig("md5")).hasMessageContaining("standard-webhooks, github");
    }
}
