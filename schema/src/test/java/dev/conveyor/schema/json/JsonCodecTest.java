package dev.conveyor.schema.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.PayloadFormatException;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {

    @Test
    void taskResultsRoundTrip() {
        for (TaskResult r : List.of(TaskResult.done(), TaskResult.fail("declined"), TaskResult.skip("dup"),
                TaskResult.reschedule(Duration.ofSeconds(45)), TaskResult.slowProcessReschedule(Duration.ofMinutes(7)))) {
            JsonNode json = Json.parse(Json.toBytes(JsonCodec.toJson(r)));
            assertThat(JsonCodec.taskResult(json)).isEqualTo(r);
        }
        assertThat(JsonCodec.toJson(TaskResult.reschedule(Duration.ofSeconds(45))).toString())
                .isEqualTo("{\"type\":\"reschedule\",\"countdown\":\"PT45S\"}");
        assertThatThrownBy(() -> JsonCodec.taskResult(Json.parse("{\"type\":\"maybe\"}".getBytes())))
                .hasMessageContaining("type 'maybe' is not a task result");
        assertThatThrownBy(() -> JsonCodec.taskResult(Json.parse("{\"type\":\"reschedule\",\"countdown\":\"soon\"}"
                .getBytes()))).hasMessageContaining("countdown 'soon'");
    }

    @Test
    void scheduledResultsRoundTrip() {
        for (ScheduledResult r : List.of(ScheduledResult.done(), ScheduledResult.fail("empty"))) {
            assertThat(JsonCodec.scheduledResult(JsonCodec.toJson(r))).isEqualTo(r);
        }
    }

    @Test
    void interactiveResultsKeepTheirBodyShape() {
        InteractiveResult text = InteractiveResult.done(200, Map.of("X-A", "1"), "hello");
        InteractiveResult bytes = InteractiveResult.done(201, Map.of(), new byte[] {0, 1, 2});
        InteractiveResult failed = InteractiveResult.fail(422, Map.of(), null, "bad input");
        for (InteractiveResult r : List.of(text, bytes, failed, InteractiveResult.done())) {
            assertThat(JsonCodec.interactiveResult(Json.parse(Json.toBytes(JsonCodec.toJson(r))))).isEqualTo(r);
        }
        InteractiveResult object = InteractiveResult.done(200, Map.of(), Map.of("price", 12));
        InteractiveResult back = JsonCodec.interactiveResult(JsonCodec.toJson(object));
        assertThat(((JsonNode) back.body()).path("price").asInt()).isEqualTo(12);
    }

    @Test
    void interactiveBodiesRenderByType() {
        assertThat(JsonCodec.render(InteractiveResult.done(200, Map.of(), "hi")).contentType())
                .isEqualTo("text/plain; charset=utf-8");
        assertThat(JsonCodec.render(InteractiveResult.done(200, Map.of(), new byte[] {1})).contentType())
                .isEqualTo("application/octet-stream");
        JsonCodec.RenderedBody json = JsonCodec.render(InteractiveResult.done(200, Map.of(), Map.of("a", 1)));
        assertThat(json.contentType()).isEqualTo("application/json");
        assertThat(new String(json.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
        assertThat(JsonCodec.render(InteractiveResult.done(200, Map.of("content-type", "text/csv"), "a,b"))
                .contentType()).isEqualTo("text/csv");
        assertThat(JsonCodec.render(InteractiveResult.done()).bytes()).isEmpty();
    }

    @Test
    void tasksRoundTripWithEveryPayloadEncoding() {
        Task json = Task.builder().topic("orders").type("o.c").kind(TaskKind.WEBHOOK).key("k").attempt(2)
                .payload("{\"a\":[1,2]}", "application/json").createdAt(Instant.parse("2026-01-01T00:00:00Z"))
                .traceId("t").callbackUrl("https://cb").idempotencyKey("i").deadline(Instant.parse("2026-01-01T00:01:00Z"))
                .header("x-h", "v").build();
        Task text = Task.builder().topic("orders").payload("<a>1</a>", "application/xml").build();
        Task binary = Task.builder().topic("orders").payload(new byte[] {(byte) 0xff, 0}).build();
        for (Task t : List.of(json, text, binary)) {
            assertThat(JsonCodec.task(Json.parse(Json.toBytes(JsonCodec.toJson(t))))).isEqualTo(t);
        }
        assertThat(JsonCodec.toJson(json).path("payload").path("a").get(1).asInt()).isEqualTo(2);
    }

    @Test
    void payloadReadersHandleJsonFormsAndXml() {
        Task form = Task.builder().topic("t").payload("a=1&b=x+y&a=2&c=%C3%A9", "application/x-www-form-urlencoded")
                .build();
        assertThat(form.json().path("a").isArray()).isTrue();
        assertThat(form.json().path("a").get(1).asText()).isEqualTo("2");
        assertThat(form.json().path("b").asText()).isEqualTo("x y");
        assertThat(form.json().path("c").asText()).isEqualTo("é");

        Task xml = Task.builder().topic("t").payload("<order><id>7</id><item>a</item></order>", "text/xml").build();
        assertThat(xml.json().path("id").asText()).isEqualTo("7");

        Task noType = Task.builder().topic("t").payload("[1]", null).build();
        assertThat(noType.json().get(0).asInt()).isEqualTo(1);

        Task broken = Task.builder().topic("t").payload("{\"a\":", "application/json").build();
        assertThatThrownBy(broken::json).isInstanceOf(PayloadFormatException.class).hasMessageContaining("invalid JSON");
        Task binary = Task.builder().topic("t").payload("x", "image/png").build();
        assertThatThrownBy(binary::json).hasMessageContaining("image/png cannot be read");
    }
}
