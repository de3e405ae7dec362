package {{package}};

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;

/**
 * An interactive extension: answers {@code POST /v1/interactive/{{artifact}}-quotes} with an HTTP
 * status, headers and body, for example
 * {@code curl -XPOST localhost:8080/v1/interactive/{{artifact}}-quotes -H 'Content-Type: application/json' -d '{"qty":3}'}.
 */
public final class Quote implements InteractiveExtension {

    private static final BigDecimal UNIT_PRICE = new BigDecimal("2.50");

    @Override
    public Set<String> topics() {
        return Set.of("{{artifact}}-quotes");
    }

    @Override
    public InteractiveResult handle(Task task) {
        JsonNode request = task.json();
        int qty = request.path("qty").asInt(0);
        if (qty <= 0) {
            return InteractiveResult.fail(400, Map.of(), Map.of("error", "qty must be a positive number"),
                    "bad qty " + request.path("qty"));
        }
        return InteractiveResult.done(200, Map.of(), Map.of("qty", qty, "total", UNIT_PRICE.multiply(BigDecimal.valueOf(qty))));
    }
}
