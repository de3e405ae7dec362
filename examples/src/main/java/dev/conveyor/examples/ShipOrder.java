package dev.conveyor.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Background example: ships an order ({@code {"orderId": "...", "items": [{"sku": "...", "qty": 1}], "hold": false}}).
 * Every answer a background extension can give appears here once.
 */
public final class ShipOrder implements BackgroundExtension {

    // @start region="declare"
    @Override
    public Set<String> topics() {
        return Set.of("orders");
    }

    @Override
    public Map<String, Object> defaultConfig() {
        return Map.of("maxItems", 50);                  // seeded into extension_configs once
    }

    @Override
    public ExtensionSettings settings() {
        return ExtensionSettings.builder()
                .timeout(Duration.ofSeconds(20))
                .ordering(Ordering.KEY)                 // one order at a time per customer key
                .build();
    }
    // @end

    // @start region="handle"
    @Override
    public TaskResult handle(Task task) {
        JsonNode order = task.json();
        JsonNode items = order.path("items");
        if (items.isEmpty()) {
            return TaskResult.skip("order " + order.path("orderId").asText() + " has no items");
        }
        if (items.size() > task.config().path("maxItems").asInt()) {
            return TaskResult.fail("too many items: " + items.size());
        }
        for (JsonNode item : items) {
            if (item.path("qty").asInt() <= 0) {
                throw new IllegalArgumentException("qty of " + item.path("sku").asText() + " must be positive");
            }
        }
        if (order.path("hold").asBoolean()) {
            return TaskResult.reschedule(Duration.ofMinutes(1));   // warehouse on hold: try again later
        }
        if (order.path("backorder").asBoolean()) {
            return TaskResult.slowProcessReschedule();              // supplier takes a while: ≥ 5 min
        }
        return TaskResult.done();
    }
    // @end
}
