package dev.conveyor.worker.outbound;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How callbacks ({@code X-Callback-Url}) are sent ({@code callbacks:} in {@code conveyor.yaml}).
 * The delivery rules of the same outbox, {@link #maxAttempts} and {@link #allowPrivateNetworks},
 * apply to notifications too.
 *
 * @param secret Standard Webhooks signing secret, {@code whsec_<base64>} ({@code callbacks.secret});
 *     null sends callbacks unsigned (a warning is logged at start)
 * @param maxAttempts HTTP attempts per delivery before it is marked failed ({@code callbacks.max-attempts}, default 10)
 * @param allowPrivateNetworks whether URLs resolving to addresses that are not globally routable
 *     unicast (private, loopback, link-local, multicast, ...: the list is in {@link PrivateAddresses})
 *     may be called ({@code callbacks.allow-private-networks}, default false)
 */
public record CallbackSettings(String secret, int maxAttempts, boolean allowPrivateNetworks) {

    public static final int DEFAULT_MAX_ATTEMPTS = 10;

    public CallbackSettings {
        if (secret != null && secret.isBlank()) {
            secret = null;
        }
        if (secret != null) {
            signingKey(secret);
        }
        if (maxAttempts < 1 || maxAttempts > 1000) {
            throw new IllegalArgumentException("callbacks.max-attempts must be between 1 and 1000, was " + maxAttempts);
        }
    }

    /** No secret, 10 attempts, public addresses only. */
    public static CallbackSettings defaults() {
        return new CallbackSettings(null, DEFAULT_MAX_ATTEMPTS, false);
    }

    /**
     * The HMAC key of a secret, as Standard Webhooks defines it: the bytes of the base64 after
     * {@code whsec_}; a secret without the prefix is used as UTF-8 text (as the ingress does).
     */
    public static byte[] signingKey(String secret) {
        if (secret.startsWith("whsec_")) {
            try {
                return Base64.getDecoder().decode(secret.substring(6));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("callbacks.secret: the part after whsec_ is not base64");
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "CallbackSettings[secret=" + (secret == null ? "none" : "***") + ", maxAttempts=" + maxAttempts
                + ", allowPrivateNetworks=" + allowPrivateNetworks + "]";
    }
}
