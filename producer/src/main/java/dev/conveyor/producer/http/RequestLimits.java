package dev.conveyor.producer.http;

import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;

/**
 * The ingress's protection against overload: at most {@code http.max-in-flight} requests handled at
 * once (more get 429 at once, without queueing), and bodies of at most {@code http.max-body} bytes
 * (a larger one gets 413 without the rest being read).
 */
final class RequestLimits {

    private final long maxBody;
    private final int maxInFlight;
    private final Semaphore inFlight;

    RequestLimits(long maxBody, int maxInFlight) {
        this.maxBody = maxBody;
        this.maxInFlight = maxInFlight;
        this.inFlight = new Semaphore(maxInFlight);
    }

    /** Runs {@code handler} as one of the requests in flight; 429 when there are too many already. */
    void guarded(Runnable handler) {
        if (!inFlight.tryAcquire()) {
            throw new HttpError(429, "too many requests", "the ingress is at its limit of " + maxInFlight
                    + " requests in flight (http.max-in-flight); retry shortly", Map.of("Retry-After", "1"));
        }
        try {
            handler.run();
        } finally {
            inFlight.release();
        }
    }

    /** Reads the body, refusing more than {@code http.max-body} without reading the rest. */
    byte[] readBody(ServerRequest req) {
        OptionalLong length = req.headers().contentLength();
        refuseDeclaredOverLimit(length); // before the body is opened: none of it is read
        try (InputStream in = req.content().inputStream()) {
            return readBody(length, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #readBody(ServerRequest)} given the request's {@code Content-Length} (if any) and its body stream. */
    byte[] readBody(OptionalLong length, InputStream in) throws IOException {
        refuseDeclaredOverLimit(length);
        // With a Content-Length (the usual case) read exactly that: readNBytes(n) allocates
        // min(n, 16 KB) up front, so asking for max + 1 cost a 16 KB buffer per request.
        int want = length.isPresent() ? (int) length.getAsLong() : (int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1);
        byte[] body = in.readNBytes(want);
        if (body.length > maxBody) {
            throw new HttpError(413, "payload too large", "the body is over the limit of " + maxBody
                    + " bytes (http.max-body)", Map.of("Connection", "close"));
        }
        return body;
    }

    private void refuseDeclaredOverLimit(OptionalLong length) {
        if (length.isPresent() && length.getAsLong() > maxBody) {
            throw new HttpError(413, "payload too large", "the body has " + length.getAsLong() + " bytes; the limit is "
                    + maxBody + " (http.max-body)", Map.of("Connection", "close"));
        }
    }
}
