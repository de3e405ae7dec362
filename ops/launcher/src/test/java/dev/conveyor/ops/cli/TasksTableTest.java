package dev.conveyor.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Text tables: alignment, truncation, one line per row; the task list and show pages. */
class TasksTableTest {

    private static JsonNode json(String text) {
        return Json.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void padsColumnsToTheWidestCellAndTrimsTrailingBlanks() {
        String text = new Table("A", "BB", "C").alignRight(1)
                .row("x", 1, "last")
                .row("longer", 12345, null)
                .render();
        assertThat(text).isEqualTo("""
                A          BB  C
                x           1  last
                longer  12345  -
                """);
    }

    @Test
    void cutsLongCellsWithAnEllipsisAndKeepsEachRowOnOneLine() {
        assertThat(Table.truncate("abcdef", 4)).isEqualTo("abc…");
        assertThat(Table.truncate("abcd", 4)).isEqualTo("abcd");
        assertThat(Table.truncate("line one\nline two\ttab\r\nend", 100)).isEqualTo("line one line two tab end");
        // Code points, not chars: an emoji is not split in half.
        assertThat(Table.truncate("😀😀😀😀", 3)).isEqualTo("😀😀…");
        assertThat(Table.length(Table.truncate("😀😀😀😀", 3))).isEqualTo(3);
        String text = new Table("OUT").maxWidth(0, 5).row("0123456789").render();
        assertThat(text).isEqualTo("OUT\n0123…\n");
    }

    @Test
    void listsTasksWithFullIdsSecondsAndATruncatedOutput() {
        String output = "x".repeat(200);
        JsonNode tasks = json("""
                [{"id": "0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10", "topic": "orders", "kind": "background",
                  "status": "failed", "attempt": 3, "output": "%s\\nsecond line",
                  "createdAt": "2026-11-22T19:59:58.123456Z", "updatedAt": "2026-11-22T20:00:01.5Z"},
                 {"id": "0193a6f4-0000-7d2a-9b55-2f0c1e8a4d11", "topic": "quotes", "kind": "interactive",
                  "status": "done", "attempt": 1, "output": null,
                  "createdAt": "2026-11-22T19:00:00Z", "updatedAt": null}]
                """.formatted(output));
        String[] lines = TaskViews.list(tasks).split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).matches("ID\\s+TOPIC\\s+KIND\\s+STATUS\\s+ATTEMPT\\s+CREATED\\s+UPDATED\\s+OUTPUT");
        assertThat(lines[1]).startsWith("0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10  orders  background   failed")
                .contains("2026-11-22T19:59:58Z  2026-11-22T20:00:01Z  ")
                .endsWith("x".repeat(TaskViews.OUTPUT_WIDTH - 1) + "…");
        assertThat(lines[2]).contains("quotes").contains("interactive").endsWith("2026-11-22T19:00:00Z  -                     -");
        // ATTEMPT is right-aligned under its header.
        assertThat(lines[1]).contains("failed        3  2026");
        assertThat(lines[1].indexOf("failed        3") + "failed        3".length())
                .isEqualTo(lines[0].indexOf("ATTEMPT") + "ATTEMPT".length());
    }

    @Test
    void showsFieldsAlignedThenThePayloadThenTheTransitions() {
        JsonNode task = json("""
                {"id": "0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10", "topic": "orders", "extension": "orders-ext",
                 "kind": "background", "type": "order.created", "status": "failed", "attempt": 2, "reschedules": 0,
                 "output": "out of stock\\nsku A-1", "result": {"type": "fail"}, "contentType": "application/json",
                 "callbackUrl": null, "traceId": null, "idempotencyKey": "k-1",
                 "createdAt": "2026-11-22T19:59:58.5Z", "updatedAt": "2026-11-22T20:00:00Z", "startedAt": null,
                 "finishedAt": "2026-11-22T20:00:00Z", "nextRunAt": null, "payloadBytes": 16,
                 "payloadPreview": "{\\"orderId\\":\\"o-1\\"}", "payloadTruncated": false, "shard": 7,
                 "transitions": [
                   {"seq": 1, "from": null, "to": "running", "at": "2026-11-22T19:59:59Z", "attempt": 1,
                    "reason": null, "node": "w-1"},
                   {"seq": 2, "from": "running", "to": "failed", "at": "2026-11-22T20:00:00Z", "attempt": 1,
                    "reason": "out of stock", "node": "w-1"}]}
                """);
        String text = TaskViews.show(task);
        assertThat(text).contains("""
                id:             0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10
                topic:          orders
                """);
        assertThat(text).contains("output:         out of stock\n                sku A-1\n");
        assertThat(text).contains("createdAt:      2026-11-22T19:59:58Z\n");
        assertThat(text).contains("callbackUrl:    -\n");
        assertThat(text).contains("shard:          7\n");
        assertThat(text).contains("result:         {\"type\":\"fail\"}\n");
        assertThat(text).contains("payload:        16 bytes, application/json\n  {\"orderId\":\"o-1\"}\n");
        assertThat(text).contains("""
                transitions:
                SEQ  FROM     TO       AT                    ATTEMPT  NODE  REASON
                  1  -        running  2026-11-22T19:59:59Z        1  w-1   -
                  2  running  failed   2026-11-22T20:00:00Z        1  w-1   out of stock
                """);
    }

    @Test
    void showsABinaryPayloadBySize() {
        String text = TaskViews.show(json("""
                {"id": "a", "status": "done", "payloadBytes": 3, "contentType": "application/octet-stream",
                 "transitions": []}
                """));
        assertThat(text).contains("payload:     3 bytes, application/octet-stream (not text, not shown)\n");
        assertThat(text).endsWith("transitions: none recorded\n");
    }
}
