package dev.conveyor.worker.outbound.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class SentAnswerTest {

    private static final Duration WAIT = Duration.ofMillis(50);

    @Test
    void a2xxIsNoError() {
        assertThat(SentAnswer.await(answered(204), WAIT)).isEqualTo(new SentAnswer(204, null, null));
    }

    @Test
    void anyOtherStatusIsAnError() {
        assertThat(SentAnswer.await(answered(503), WAIT)).isEqualTo(new SentAnswer(503, "HTTP 503", null));
        assertThat(SentAnswer.await(answered(302), WAIT).error()).isEqualTo("HTTP 302");
    }

    @Test
    void aFailureIsNamedByItsTypeAndMessage() {
        SentAnswer a = SentAnswer.await(failed(new IOException("Connection refused")), WAIT);
        assertThat(a.status()).isNull();
        assertThat(a.error()).isEqualTo("IOException: Connection refused");
        assertThat(a.refused()).isNull();
        assertThat(SentAnswer.message(new IllegalStateException())).isEqualTo("IllegalStateException");
    }

    @Test
    void aRefusalBySsrfRuleIsFoundInTheCauses() {
        CheckedDns.Refused refused = new CheckedDns.Refused("refused: private address 10.0.0.1");
        SentAnswer a = SentAnswer.await(failed(new IOException("wrapped", refused)), WAIT);
        assertThat(a.refused()).isSameAs(refused);
        assertThat(a.error()).isEqualTo(refused.getMessage());
    }

    @Test
    void noAnswerInTimeCancelsTheRequest() {
        CompletableFuture<Message<HttpResponse, Void>> pending = new CompletableFuture<>();
        assertThat(SentAnswer.await(pending, WAIT)).isEqualTo(new SentAnswer(null, "timed out", null));
        assertThat(pending).isCancelled();
    }

    private static CompletableFuture<Message<HttpResponse, Void>> answered(int status) {
        return CompletableFuture.completedFuture(new Message<>(new BasicHttpResponse(status), null));
    }

    private static CompletableFuture<Message<HttpResponse, Void>> failed(Exception e) {
        return CompletableFuture.failedFuture(e);
    }
}
