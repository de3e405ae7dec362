package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Options of {@code tasks list} to the query string of {@code GET /v1/tasks}, and the endpoint defaults. */
class TasksQueryTest {

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-22T20:00:00Z"), ZoneOffset.UTC);

    @Test
    void noFiltersNoQueryString() {
        assertThat(new TaskQuery(null, null, null, null, null, null, null, null).path()).isEqualTo("/v1/tasks");
    }

    @Test
    void everyFilterIsEncodedAndStatusesAreCommaJoined() {
        TaskQuery q = new TaskQuery(List.of("failed", " dead "), "orders & returns", "background",
                "2026-11-22T19:00:00Z", "2026-11-22T20:00:00+01:00", "key=1/ü+é", 25, "abc+/=");
        assertThat(q.path()).isEqualTo("/v1/tasks?status=failed,dead&topic=orders%20%26%20returns&kind=background"
                + "&since=2026-11-22T19%3A00%3A00Z&until=2026-11-22T20%3A00%3A00%2B01%3A00"
                + "&q=key%3D1%2F%C3%BC%2B%C3%A9&limit=25&cursor=abc%2B%2F%3D");
        assertThat(q.withCursor("next").path()).endsWith("&limit=25&cursor=next");
        assertThat(q.withLimit(500).withCursor(null).path()).endsWith("&limit=500");
    }

    @Test
    void aStatusValueWithACommaInsideCannotBreakTheList() {
        assertThat(new TaskQuery(List.of("a&b"), null, null, null, null, null, null, null).path())
                .isEqualTo("/v1/tasks?status=a%26b");
    }

    @Test
    void limitOutsideTheApisRangeIsAUsageError() {
        assertThatThrownBy(() -> new TaskQuery(List.of(), null, null, null, null, null, 501, null))
                .hasMessage("--limit must be between 1 and 500, was 501");
        assertThatThrownBy(() -> new TaskQuery(List.of(), null, null, null, null, null, 0, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sinceAcceptsRfc3339WithAnyOffsetOrAnAge() {
        assertThat(TaskQuery.instant("2026-11-22T21:00:00+01:00", "--since", clock)).isEqualTo("2026-11-22T20:00:00Z");
        assertThat(TaskQuery.instant("2026-11-22T19:00:00.5Z", "--since", clock)).isEqualTo("2026-11-22T19:00:00.500Z");
        assertThat(TaskQuery.instant("2h", "--since", clock)).isEqualTo("2026-11-22T18:00:00Z");
        assertThat(TaskQuery.instant("15m", "--since", clock)).isEqualTo("2026-11-22T19:45:00Z");
        assertThat(TaskQuery.instant("1w", "--until", clock)).isEqualTo("2026-11-15T20:00:00Z");
        assertThat(TaskQuery.instant(null, "--since", clock)).isNull();
        assertThatThrownBy(() -> TaskQuery.instant("yesterday", "--until", clock))
                .hasMessageStartingWith("--until must be an RFC 3339 time");
    }

    @Test
    void theNextPageCommandRepeatsTheFiltersQuotedForTheShell() {
        TaskQuery q = new TaskQuery(List.of("failed", "dead"), "orders", null, "2026-11-22T18:00:00Z", null,
                "it's mine", 20, null);
        assertThat(TasksCommand.nextPageCommand(q, "eyJ0IjoxfQ"))
                .isEqualTo("conveyor tasks list --status failed,dead --topic orders --since 2026-11-22T18:00:00Z "
                        + "--q 'it'\\''s mine' --limit 20 --cursor eyJ0IjoxfQ");
    }

    @Test
    void urlAndTokenComeFromOptionsThenEnvironmentThenConfiguration() {
        var config = dev.conveyor.ops.config.ConveyorConfig.load(null, Map.of("CONVEYOR_HTTP_HOST", "0.0.0.0",
                "CONVEYOR_HTTP_PORT", "9090", "CONVEYOR_HTTP_TOKENS", "t1,t2"));
        assertThat(Endpoint.resolve(null, null, Map.of(), () -> config))
                .isEqualTo(new Endpoint("http://127.0.0.1:9090", "t1"));
        assertThat(Endpoint.resolve(null, null, Map.of("CONVEYOR_URL", "https://q.example/conveyor/",
                "CONVEYOR_TOKEN", "env"), () -> {
                    throw new AssertionError("the configuration is not needed");
                })).isEqualTo(new Endpoint("https://q.example/conveyor", "env"));
        assertThat(Endpoint.resolve("http://h:1", "opt", Map.of("CONVEYOR_URL", "http://env:2",
                "CONVEYOR_TOKEN", "env"), () -> config)).isEqualTo(new Endpoint("http://h:1", "opt"));
        var noTokens = dev.conveyor.ops.config.ConveyorConfig.load(null, Map.of());
        assertThat(Endpoint.resolve(null, null, Map.of(), () -> noTokens))
                .isEqualTo(new Endpoint("http://127.0.0.1:8080", null));
        assertThat(Endpoint.connectableHost("::1")).isEqualTo("[::1]");
        assertThatThrownBy(() -> Endpoint.resolve("localhost:8080", "t", Map.of(), () -> config))
                .hasMessageContaining("--url must be an http:// or https:// URL");
    }
}
