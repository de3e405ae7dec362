package dev.conveyor.worker;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A topic's rate limit ({@code worker.rate} or {@code worker.topics.<topic>.rate}): at most
 * {@code permits} executions start per {@code period}, e.g. {@code 100/s}, {@code 20/m},
 * {@code 1000/h}. Tasks over the limit wait for their turn (they stay in flight, not failed).
 */
public record RateLimit(int permits, Duration period) {

    private static final Pattern TEXT = Pattern.compile("\\s*(\\d+)\\s*/\\s*(ms|s|m|h|sec|second|min|minute|hour)\\s*");

    public RateLimit {
        Objects.requireNonNull(period, "period");
        if (permits < 1) {
            throw new IllegalArgumentException("rate must allow at least 1 execution per period, was " + permits);
        }
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("rate period must be positive, was " + period);
        }
    }

    /** Parses {@code N/s}, {@code N/m} or {@code N/h} (also {@code N/ms}). */
    public static RateLimit parse(String text) {
        Matcher m = TEXT.matcher(Objects.requireNonNull(text, "rate").toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("rate must look like 100/s, 20/m or 1000/h, was '" + text + "'");
        }
        int permits;
        try {
            permits = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rate '" + text + "' is too large", e);
        }
        Duration period = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(1);
            case "s", "sec", "second" -> Duration.ofSeconds(1);
            case "m", "min", "minute" -> Duration.ofMinutes(1);
            default -> Duration.ofHours(1);
        };
        return new RateLimit(permits, period);
    }

    @Override
    public String toString() {
        return permits + "/" + (period.equals(Duration.ofSeconds(1)) ? "s" : period.equals(Duration.ofMinutes(1)) ? "m"
                : period.equals(Duration.ofHours(1)) ? "h" : period.toString());
    }
}
