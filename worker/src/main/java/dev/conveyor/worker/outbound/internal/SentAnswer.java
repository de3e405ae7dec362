package dev.conveyor.worker.outbound.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;

/**
 * The answer to a sent request, awaited: the HTTP status if one came ({@code error} is set unless
 * it is 2xx), or why none came; {@code refused} when the SSRF rule refused the host as the client
 * resolved it, in which case nothing was sent.
 */
record SentAnswer(Integer status, String error, CheckedDns.Refused refused) {

    /** Waits up to {@code wait} for {@code response}; on timeout the request is cancelled. */
    static SentAnswer await(CompletableFuture<Message<HttpResponse, Void>> response, Duration wait) {
        try {
            int status = response.get(wait.toMillis(), TimeUnit.MILLISECONDS).getHead().getCode();
            return new SentAnswer(status, status / 100 == 2 ? null : "HTTP " + status, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SentAnswer(null, "interrupted", null);
        } catch (ExecutionException e) {
            CheckedDns.Refused refused = refusedIn(e.getCause());
            return new SentAnswer(null, refused == null ? message(e.getCause()) : refused.getMessage(), refused);
        } catch (TimeoutException e) {
            response.cancel(true);
            return new SentAnswer(null, "timed out", null);
        }
    }

    private static CheckedDns.Refused refusedIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CheckedDns.Refused r) {
                return r;
            }
        }
        return null;
    }

    /** The exception's simple class name and message, as stored in {@code last_error}. */
    static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
