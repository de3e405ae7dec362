package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.embedded.EmbeddedKafkaBroker;
import dev.conveyor.schema.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Drives the real CLI: {@code conveyor dev} from a clean directory (its own embedded Kafka and
 * PostgreSQL), an event end to end over HTTP, a clean stop, and a restart on the same data.
 */
class DevModeIT {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void devModeRunsEndToEndAndRestartsOnItsData(@TempDir Path dir) throws Exception {
        int kafkaPort = EmbeddedKafkaBroker.freePort();
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, """
                http: { port: 0 }
                kafka: { bootstrap: "127.0.0.1:%d" }
                worker: { reschedule-floor: 1s }
                """.formatted(kafkaPort));
        Path data = dir.resolve("data");

        URI base = start(config, data, true);
        var ready = http.send(HttpRequest.newBuilder(base.resolve("/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

        HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(base.resolve("/v1/events/orders"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"o-1\",\"items\":[{\"sku\":\"A-1\",\"qty\":2}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).isEqualTo(202);
        String statusUrl = json(accepted.body()).path("statusUrl").asText();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "done".equals(task(base, statusUrl).path("status").asText()));

        HttpResponse<String> quote = http.send(HttpRequest.newBuilder(base.resolve("/v1/interactive/quotes"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sku\":\"B-2\",\"qty\":2}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(quote.statusCode()).isEqualTo(200);
        assertThat(json(quote.body()).path("sku").asText()).isEqualTo("B-2");
        stop();

        // Same data directory: the task recorded before the restart is still there.
        URI again = start(config, data, false);
        assertThat(task(again, statusUrl).path("status").asText()).isEqualTo("done");
        stop();
    }

    private CompletableFuture<Integer> running;

    private URI start(Path config, Path data, boolean fresh) throws Exception {
        DevCommand.ready = new CountDownLatch(1);
        DevCommand.stop = new CountDownLatch(1);
        String[] args = fresh
                ? new String[] {"dev", "--config", config.toString(), "--data-dir", data.toString(), "--fresh"}
                : new String[] {"dev", "--config", config.toString(), "--data-dir", data.toString()};
        running = CompletableFuture.supplyAsync(() -> new CommandLine(new Main()).execute(args));
        for (int i = 0; i < 240 && !DevCommand.ready.await(500, TimeUnit.MILLISECONDS); i++) {
            if (running.isDone()) {
                throw new AssertionError("conveyor dev exited with " + running.get());
            }
        }
        assertThat(DevCommand.ready.getCount()).as("dev mode ready within 120 s").isZero();
        return DevCommand.httpUri;
    }

    private void stop() throws Exception {
        DevCommand.stop.countDown();
        assertThat(running.get(60, TimeUnit.SECONDS)).isZero();
    }

    private JsonNode task(URI base, String statusUrl) throws Exception {
        return json(http.send(HttpRequest.newBuilder(base.resolve(statusUrl)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static JsonNode json(String body) {
        return Json.parse(body.getBytes(StandardCharsets.UTF_8));
    }
}
