package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BearerAuthTest {

    private final BearerAuth auth = new BearerAuth(new LinkedHashSet<>(List.of("first", "second")));

    @Test
    void anyConfiguredTokenIsAccepted() {
        assertThatCode(() -> auth.check("/v1/events/orders", "Bearer first")).doesNotThrowAnyException();
        assertThatCode(() -> auth.check("/v1/tasks", "bearer  second ")).doesNotThrowAnyException();
    }

    @Test
    void aMissingOrUnknownTokenIs401WithAChallenge() {
        for (String header : new String[] {null, "", "Bearer", "Bearer third", "Basic Zmlyc3Q=", "first"}) {
            assertThatThrownBy(() -> auth.check("/v1/events/orders", header))
                    .isInstanceOfSatisfying(HttpError.class, e -> {
                        org.assertj.core.api.Assertions.assertThat(e.status()).isEqualTo(401);
                        org.assertj.core.api.Assertions.assertThat(e.headers())
                                .isEqualTo(Map.of("WWW-Authenticate", "Bearer"));
                    });
        }
    }

    @Test
    void webhooksCarryTheirSignatureInstead() {
        assertThatCode(() -> auth.check("/v1/webhooks/github", null)).doesNotThrowAnyException();
    }

    @Test
    void withoutTokensEverythingPasses() {
        assertThatCode(() -> new BearerAuth(Set.of()).check("/v1/events/orders", null)).doesNotThrowAnyException();
    }
}
