package dev.conveyor.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.testkit.ExtensionTestKit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The examples, tested the way an extension author would test theirs: with the test kit. */
class ExamplesTest {

    private final ExtensionTestKit ship = ExtensionTestKit.of(new ShipOrder());

    private static Task order(String json) {
        return ExtensionTestKit.jsonTask("orders", json).toBuilder().key("customer-1").build();
    }

    @Test
    void shipOrderAnswersEveryResultType() {
        ship.run(order("{\"orderId\":\"o1\",\"items\":[{\"sku\":\"A-1\",\"qty\":1}]}"))
                .assertStatus(TaskStatus.DONE).assertResultIsOneOf(TaskResult.done());
        ship.run(order("{\"orderId\":\"o2\",\"items\":[]}"))
                .assertStatus(TaskStatus.SKIPPED).assertResultIsOneOf(TaskResult.skip("order o2 has no items"));
        var held = ship.run(order("{\"items\":[{\"sku\":\"A-1\",\"qty\":1}],\"hold\":true}"));
        held.assertStatus(TaskStatus.RESCHEDULED);
        assertThat(held.next().countdown()).isEqualTo(Duration.ofMinutes(1));
        var backorder = ship.run(order("{\"items\":[{\"sku\":\"A-1\",\"qty\":1}],\"backorder\":true}"));
        assertThat(backorder.next().countdown()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void shipOrderFailsOnTooManyItemsUsingItsConfig() {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            items.append(i == 0 ? "" : ",").append("{\"sku\":\"A-1\",\"qty\":1}");
        }
        var small = ship.withExtensionConfig(dev.conveyor.schema.json.Json.emptyObject().put("maxItems", 2));
        small.run(order("{\"items\":[" + items + "]}"))
                .assertStatus(TaskStatus.FAILED).assertResultIsOneOf(TaskResult.fail("too many items: 3"));
    }

    @Test
    void shipOrderRetriesABadQuantityThenFails() {
        Task bad = order("{\"items\":[{\"sku\":\"A-1\",\"qty\":0}]}");
        ship.run(bad).assertStatus(TaskStatus.RESCHEDULED);
        var last = ship.run(bad.toBuilder().attempt(5).build());
        last.assertStatus(TaskStatus.FAILED);
        assertThat(last.next().output()).isEqualTo("qty of A-1 must be positive");
    }

    @Test
    void priceQuoteAnswersWithABodyOrA404() {
        ExtensionTestKit quote = ExtensionTestKit.of(new PriceQuote());
        var ok = quote.run(ExtensionTestKit.jsonTask("quotes", "{\"sku\":\"B-2\",\"qty\":2}").toBuilder()
                .kind(TaskKind.INTERACTIVE).build());
        ok.assertStatus(TaskStatus.DONE);
        assertThat(ok.reply().httpStatus()).isEqualTo(200);
        JsonNode body = dev.conveyor.schema.json.Json.mapper().valueToTree(ok.reply().body());
        assertThat(body.path("total").decimalValue()).isEqualByComparingTo("49.00");

        var missing = quote.run(ExtensionTestKit.jsonTask("quotes", "{\"sku\":\"Z\"}"));
        missing.assertStatus(TaskStatus.FAILED);
        assertThat(missing.reply().httpStatus()).isEqualTo(404);
        assertThat(missing.next().output()).isEqualTo("unknown sku Z");
    }

    @Test
    void nightlyReportRuns() {
        ExtensionTestKit.of(new NightlyReport())
                .run(ExtensionTestKit.jsonTask("reports", "{\"kind\":\"nightly\"}"))
                .assertStatus(TaskStatus.DONE).assertResultIsOneOf(ScheduledResult.done());
    }

    @Test
    void examplesAreRegisteredForTheServiceLoader() {
        Extensions loaded = Extensions.load(getClass().getClassLoader());
        assertThat(loaded.topics()).contains("orders", "quotes", "reports");
        assertThat(loaded.forTopic("orders").orElseThrow()).isInstanceOf(ShipOrder.class);
    }
}
