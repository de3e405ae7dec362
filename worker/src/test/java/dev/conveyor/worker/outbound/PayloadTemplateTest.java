package dev.conveyor.worker.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PayloadTemplateTest {

    private static final Map<String, String> TASK = Map.of("task.id", "0190-abc", "task.topic", "orders",
            "task.status", "failed", "task.output", "card \"declined\"\n{task.id}", "task.attempt", "3",
            "task.type", "order.created", "task.finished_at", "2026-11-22T10:00:00Z");

    private static JsonNode render(String template, Map<String, String> values) {
        return PayloadTemplate.parse(Json.parse(template.getBytes(java.nio.charset.StandardCharsets.UTF_8))).render(values);
    }

    @Test
    void parametersAreSubstitutedInsideStringsAndEscaped() {
        JsonNode out = render("{\"text\": \"{task.topic} {task.id} {task.status}: {task.output}\"}", TASK);
        assertThat(out.path("text").asText()).isEqualTo("orders 0190-abc failed: card \"declined\"\n{task.id}");
        // The value was inserted as data: the serialized document is still one object with one field.
        assertThat(Json.parse(Json.toBytes(out)).size()).isEqualTo(1);
        assertThat(new String(Json.toBytes(out))).contains("\\\"declined\\\"\\n");
    }

    @Test
    void aWholeStringParameterKeepsItsType() {
        Map<String, String> values = new HashMap<>(TASK);
        values.put("task.trace_id", null);
        JsonNode out = render("{\"attempt\": \"{task.attempt}\", \"trace\": \"{task.trace_id}\", "
                + "\"at\": \"{task.finished_at}\", \"n\": 5, \"list\": [\"{task.type}\", true]}", values);
        assertThat(out.path("attempt").isInt()).isTrue();
        assertThat(out.path("attempt").asInt()).isEqualTo(3);
        assertThat(out.path("trace").isNull()).isTrue();
        assertThat(out.path("at").asText()).isEqualTo("2026-11-22T10:00:00Z");
        assertThat(out.path("n").asInt()).isEqualTo(5);
        assertThat(out.path("list").get(0).asText()).isEqualTo("order.created");
        assertThat(out.path("list").get(1).asBoolean()).isTrue();
    }

    @Test
    void missingValuesInsideAStringAreEmptyAndOtherBracesStay() {
        JsonNode out = render("{\"t\": \"trace={task.trace_id} {not a param} {}\"}", TASK);
        assertThat(out.path("t").asText()).isEqualTo("trace= {not a param} {}");
    }

    @Test
    void unknownParametersAreRefused() {
        assertThatThrownBy(() -> PayloadTemplate.parse(Json.parse("{\"a\": [\"{task.foo}\"]}".getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown parameter {task.foo}");
    }

    @Test
    void theDefaultBodyCarriesEveryParameter() {
        JsonNode out = PayloadTemplate.defaults().render(TASK);
        assertThat(out.path("id").asText()).isEqualTo("0190-abc");
        assertThat(out.path("status").asText()).isEqualTo("failed");
        assertThat(out.path("attempt").asInt()).isEqualTo(3);
    }
}
