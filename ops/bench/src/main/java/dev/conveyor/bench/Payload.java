package dev.conveyor.bench;

import java.nio.charset.StandardCharsets;

/**
 * The task payload of every workload: a JSON object of about 200 bytes (an order event) whose
 * {@code n} field carries the task's sequence number, so an extension can tell tasks apart.
 */
public final class Payload {

    private static final String TEMPLATE = "{\"orderId\":\"o-%08d\",\"customer\":\"c-1337\",\"sku\":\"SKU-4711\","
            + "\"qty\":3,\"price\":19.99,\"currency\":\"EUR\",\"shipping\":{\"country\":\"DE\",\"zip\":\"10115\","
            + "\"method\":\"standard\"},\"note\":\"benchmark payload\",\"n\":%d}";

    private Payload() {}

    public static String json(int n) {
        return TEMPLATE.formatted(n, n);
    }

    public static byte[] bytes(int n) {
        return json(n).getBytes(StandardCharsets.UTF_8);
    }

    /** The sequence number in a payload made by {@link #json}, or -1. */
    public static int seq(String json) {
        int at = json.lastIndexOf("\"n\":");
        if (at < 0) {
            return -1;
        }
        int end = json.indexOf('}', at);
        try {
            return Integer.parseInt(json.substring(at + 4, end).trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
