package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.ops.config.ConfigException;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.worker.spi.Ordering;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConveyorConfigTest {

    @TempDir
    Path dir;

    private ConveyorConfig load(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("conveyor.yaml");
        Files.writeString(file, yaml);
        return ConveyorConfig.load(file, env);
    }

    @Test
    void theSampleConfigurationLoads() throws Exception {
        ConveyorConfig c = ConveyorConfig.load(Path.of("../conveyor.yaml"), Map.of());
        assertThat(c.topics()).contains("orders", "quotes");
        assertThat(c.worker().retry().rescheduleFloor()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.worker().topics().get("orders").ordering()).isEqualTo(Ordering.KEY);
        assertThat(c.ingress(java.util.Set.of()).maxBody()).isEqualTo(1024 * 1024);
        assertThat(c.schedules()).extracting(s -> s.name()).contains("nightly-report", "heartbeat");
    }

    @Test
    void defaultsWithoutAFile() {
        ConveyorConfig c = ConveyorConfig.load(null, Map.of());
        assertThat(c.bootstrap()).isEqualTo("127.0.0.1:9092");
        assertThat(c.db().url()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/conveyor");
        assertThat(c.dbUrlGiven()).isFalse();
        assertThat(c.ingress(java.util.Set.of()).port()).isEqualTo(8080);
        assertThat(c.worker().concurrency()).isEqualTo(64);
    }

    @Test
    void rateLimitsAndCircuitBreakersPerTopicWithWorkerDefaults() throws Exception {
        ConveyorConfig c = load("""
                worker:
                  rate: 50/m
                  circuit-breaker: { failure-rate: 25, window: 10, wait: 5s }
                  topics:
                    orders: { rate: 100/s, circuit-breaker: { window: 4 } }
                """, Map.of());
        assertThat(c.worker().rate()).isEqualTo(new dev.conveyor.worker.RateLimit(50, Duration.ofMinutes(1)));
        assertThat(c.worker().circuitBreaker()).isEqualTo(new dev.conveyor.worker.CircuitBreakerSettings(25, 10,
                Duration.ofSeconds(5)));
        var orders = c.worker().topics().get("orders");
        assertThat(orders.rate()).isEqualTo(new dev.conveyor.worker.RateLimit(100, Duration.ofSeconds(1)));
        assertThat(orders.circuitBreaker()).isEqualTo(new dev.conveyor.worker.CircuitBreakerSettings(50, 4,
                Duration.ofSeconds(30)));
        assertThatThrownBy(() -> load("worker: { topics: { orders: { rate: fast } } }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("worker.topics.orders.rate")
                .hasMessageContaining("100/s");
        assertThatThrownBy(() -> load("worker: { circuit-breaker: { failure-rate: 150 } }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("failure-rate");
        assertThatThrownBy(() -> load("worker: { circuit-breaker: { treshold: 5 } }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("worker.circuit-breaker.treshold");
    }

    @Test
    void logFormatIsTextOrJson() throws Exception {
        assertThat(ConveyorConfig.load(null, Map.of()).logFormat()).isEqualTo("text");
        assertThat(load("log: { format: json }\n", Map.of()).logFormat()).isEqualTo("json");
        assertThat(ConveyorConfig.load(null, Map.of("CONVEYOR_LOG_FORMAT", "JSON")).logFormat()).isEqualTo("json");
        assertThatThrownBy(() -> load("log: { format: xml }\n", Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.format").hasMessageContaining("text or json");
        assertThatThrownBy(() -> load("log: { level: debug }\n", Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.level");
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        ConveyorConfig c = load("db: { url: 'jdbc:postgresql://db:5432/a' }\nhttp: { port: 9000 }\n",
                Map.of("CONVEYOR_DB_URL", "jdbc:postgresql://other:5432/b", "CONVEYOR_HTTP_PORT", "9100",
                        "CONVEYOR_TOPICS", "a, b", "CONVEYOR_HTTP_MAX_BODY", "2MB", "CONVEYOR_KAFKA_BOOTSTRAP", "k:1"));
        assertThat(c.db().url()).isEqualTo("jdbc:postgresql://other:5432/b");
        assertThat(c.dbUrlGiven()).isTrue();
        assertThat(c.ingress(java.util.Set.of()).port()).isEqualTo(9100);
        assertThat(c.ingress(java.util.Set.of()).maxBody()).isEqualTo(2 * 1024 * 1024);
        assertThat(c.topics()).containsExactly("a", "b");
        assertThat(c.bootstrap()).isEqualTo("k:1");
    }

    @Test
    void invalidValuesNameTheirKey() {
        assertThatThrownBy(() -> load("worker: { reschedule-floor: soon }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("worker.reschedule-floor: 'soon' is not a duration");
        assertThatThrownBy(() -> load("http: { port: 99999 }\n", Map.of()))
                .hasMessageContaining("http.port must be between 0 and 65535");
        assertThatThrownBy(() -> load("worker: { ordering: random }\n", Map.of()))
                .hasMessageStartingWith("worker.ordering: must be key or none");
        assertThatThrownBy(() -> load("schedules: { bad: { cron: '61 * * * *', topic: t } }\n", Map.of()))
                .hasMessageContaining("schedules.bad.cron");
        assertThatThrownBy(() -> load("colour: blue\n", Map.of())).hasMessageStartingWith("colour: unknown key");
        assertThatThrownBy(() -> load("db: { pool-size: 0 }\n", Map.of())).hasMessageContaining("db.pool-size");
        assertThatThrownBy(() -> load("topics: [orders]\nwebhooks: { gh: { scheme: md5, secret: s, topic: orders } }\n",
                Map.of())).hasMessageContaining("webhooks.gh").hasMessageContaining("'md5' is not a webhook scheme");
    }

    @Test
    void unknownKeysAndVariablesStopStartUpNamingTheClosestKnownOne() {
        assertThatThrownBy(() -> load("worker:\n  shutdown-grase: 30s\n", Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage("worker.shutdown-grase: unknown key; did you mean worker.shutdown-grace?");
        assertThatThrownBy(() -> load("worker: { topics: { orders: { concurency: 2 } } }\n", Map.of()))
                .hasMessage("worker.topics.orders.concurency: unknown key; did you mean worker.topics.orders.concurrency?");
        assertThatThrownBy(() -> ConveyorConfig.load(null, Map.of("CONVEYOR_DB_ULR", "jdbc:postgresql://x/y")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("CONVEYOR_DB_ULR: unknown variable; did you mean CONVEYOR_DB_URL?");
        ConveyorConfig c = ConveyorConfig.load(null, Map.of("CONVEYOR_URL", "http://x", "CONVEYOR_TEST_DB_URL", "y",
                "CONVEYOR_WORKER_SHUTDOWN_GRACE", "5s", "CONVEYOR_WORKER_RATE", "10/s"));
        assertThat(c.worker().shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.worker().rate()).isEqualTo(new dev.conveyor.worker.RateLimit(10, Duration.ofSeconds(1)));
    }

    @Test
    void secretsAreMaskedInTheStartupLine() throws Exception {
        ConveyorConfig c = load("""
                db: { password: hunter2 }
                http: { tokens: [t0ken] }
                topics: [orders]
                webhooks: { billing: { scheme: github, secret: sup3r, topic: orders } }
                """, Map.of());
        assertThat(c.describe()).doesNotContain("hunter2", "t0ken", "sup3r").contains("***");
    }
}
