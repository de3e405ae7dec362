package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** HTTP statuses and API errors to exit codes and messages. */
class TasksExitCodesTest {

    @ParameterizedTest
    @CsvSource({"200,0", "202,0", "400,2", "422,2", "401,6", "403,6", "404,3", "409,4", "405,1", "413,1", "429,1",
            "500,5", "502,5", "503,5", "504,5"})
    void mapsHttpStatuses(int status, int exit) {
        assertThat(ExitCodes.forHttpStatus(status)).isEqualTo(exit);
    }

    @Test
    void anApiErrorBecomesItsErrorAndDetail() {
        assertThatThrownBy(() -> StatusApiClient.answer("POST", "/v1/tasks/x/retry", 409, bytes(
                "{\"error\":\"conflict\",\"detail\":\"task is done; only failed, dead, skipped or cancelled tasks can be retried\"}")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.CONFLICT);
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).isEqualTo("conflict: task is done; only failed, dead, skipped or "
                            + "cancelled tasks can be retried");
                });
        assertThatThrownBy(() -> StatusApiClient.answer("GET", "/v1/tasks/x", 404, bytes("{\"error\":\"unknown task\"}")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("unknown task");
                });
    }

    @Test
    void aNonJsonErrorNamesTheStatusAndTheCall() {
        assertThatThrownBy(() -> StatusApiClient.answer("GET", "/v1/stats", 502, bytes("<html>Bad Gateway</html>\nmore")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
                    assertThat(e.getMessage()).isEqualTo("HTTP 502: GET /v1/stats: <html>Bad Gateway</html>");
                });
        assertThatThrownBy(() -> StatusApiClient.answer("GET", "/v1/stats", 404, new byte[0]))
                .hasMessage("HTTP 404: GET /v1/stats");
    }

    @Test
    void aSuccessWithoutJsonIsUnexpected() {
        assertThatThrownBy(() -> StatusApiClient.answer("GET", "/v1/stats", 200, bytes("ok")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.INTERNAL));
        assertThat(StatusApiClient.answer("GET", "/v1/stats", 200, bytes("{\"a\":1}")).path("a").asInt()).isEqualTo(1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
