package dev.conveyor.producer.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies webhook signatures. Comparisons are constant-time ({@link MessageDigest#isEqual}), and
 * every failure is the same {@link VerificationFailed} so a caller learns nothing from the
 * response (the reason is for the server log only).
 */
public final class WebhookVerifier {

    /** A request that fails verification; {@code getMessage()} says why, for logs only. */
    public static final class VerificationFailed extends Exception {
        private static final long serialVersionUID = 1L;

        public VerificationFailed(String why) {
            super(why, null, false, false);
        }
    }

    private WebhookVerifier() {}

    /**
     * Verifies a request of {@code source}.
     *
     * @param header looks up a request header (case-insensitive), null when absent
     * @return the message id (to drop repeats), or null when the scheme has none
     */
    public static String verify(WebhookSource source, Function<String, String> header, byte[] body, Instant now)
            throws VerificationFailed {
        return switch (source.scheme()) {
            case STANDARD_WEBHOOKS -> standardWebhooks(source, header, body, now);
            case GITHUB -> github(source, header, body);
            case HMAC_SHA256 -> hmacSha256(source, header, body);
        };
    }

    private static String standardWebhooks(WebhookSource source, Function<String, String> header, byte[] body,
            Instant now) throws VerificationFailed {
        String id = required(header, "webhook-id");
        String timestamp = required(header, "webhook-timestamp");
        String signatures = required(header, "webhook-signature");
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new VerificationFailed("webhook-timestamp is not a number");
        }
        Duration skew = Duration.between(Instant.ofEpochSecond(seconds), now).abs();
        if (skew.compareTo(source.tolerance()) > 0) {
            throw new VerificationFailed("webhook-timestamp is " + skew.toSeconds() + " s away from now");
        }
        byte[] signed = concat((id + "." + timestamp.trim() + ".").getBytes(StandardCharsets.UTF_8), body);
        for (String secret : source.secrets()) {
            byte[] expected = Base64.getEncoder().encode(hmac(key(source.scheme(), secret, source.name()), signed));
            for (String candidate : signatures.trim().split(" +")) {
                int comma = candidate.indexOf(',');
                if (comma > 0 && candidate.substring(0, comma).equals("v1")
                        && MessageDigest.isEqual(expected, candidate.substring(comma + 1).getBytes(StandardCharsets.US_ASCII))) {
                    return id;
                }
            }
        }
        throw new VerificationFailed("no webhook-signature matches");
    }

    private static String github(WebhookSource source, Function<String, String> header, byte[] body)
            throws VerificationFailed {
        String signature = required(header, "X-Hub-Signature-256");
        if (!signature.startsWith("sha256=")) {
            throw new VerificationFailed("X-Hub-Signature-256 does not start with sha256=");
        }
        byte[] given = signature.substring(7).trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        for (String secret : source.secrets()) {
            byte[] expected = HexFormat.of().formatHex(hmac(key(source.scheme(), secret, source.name()), body))
                    .getBytes(StandardCharsets.US_ASCII);
            if (MessageDigest.isEqual(expected, given)) {
                return header.apply("X-GitHub-Delivery");
            }
        }
        throw new VerificationFailed("X-Hub-Signature-256 does not match");
    }

    private static String hmacSha256(WebhookSource source, Function<String, String> header, byte[] body)
            throws VerificationFailed {
        String signature = required(header, source.signatureHeader()).trim();
        if (signature.regionMatches(true, 0, "sha256=", 0, 7)) {
            signature = signature.substring(7);
        }
        byte[] given = signature.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        for (String secret : source.secrets()) {
            byte[] expected = HexFormat.of().formatHex(hmac(key(source.scheme(), secret, source.name()), body))
                    .getBytes(StandardCharsets.US_ASCII);
            if (MessageDigest.isEqual(expected, given)) {
                return source.idHeader() == null ? null : header.apply(source.idHeader());
            }
        }
        throw new VerificationFailed(source.signatureHeader() + " does not match");
    }

    /** The HMAC key of a secret: Standard Webhooks secrets are {@code whsec_<base64>}, others are used as text. */
    static byte[] key(WebhookSource.Scheme scheme, String secret, String name) {
        if (scheme == WebhookSource.Scheme.STANDARD_WEBHOOKS && secret.startsWith("whsec_")) {
            try {
                return Base64.getDecoder().decode(secret.substring(6));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("webhooks." + name + ".secret: the part after whsec_ is not base64");
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    private static String required(Function<String, String> header, String name) throws VerificationFailed {
        String value = header.apply(name);
        if (value == null || value.isBlank()) {
            throw new VerificationFailed(name + " is missing");
        }
        return value;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
