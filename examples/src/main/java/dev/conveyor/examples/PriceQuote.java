package dev.conveyor.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;

/** Interactive example: answers {@code {"sku": "A-1", "qty": 3}} with a price. */
public final class PriceQuote implements InteractiveExtension {

    private static final Map<String, BigDecimal> PRICES = Map.of("A-1", new BigDecimal("9.90"),
            "B-2", new BigDecimal("24.50"));

    @Override
    public Set<String> topics() {
        return Set.of("quotes");
    }

    // @start region="handle"
    @Override
    public InteractiveResult handle(Task task) {
        JsonNode request = task.json();
        String sku = request.path("sku").asText("");
        BigDecimal unit = PRICES.get(sku);
        if (unit == null) {
            return InteractiveResult.fail(404, Map.of(), Map.of("error", "unknown sku", "sku", sku), "unknown sku " + sku);
        }
        int qty = Math.max(1, request.path("qty").asInt(1));
        return InteractiveResult.done(200, Map.of("Cache-Control", "no-store"),
                Map.of("sku", sku, "qty", qty, "total", unit.multiply(BigDecimal.valueOf(qty))));
    }
    // @end
}
