package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

class UnknownKeysTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode yaml(String text) throws Exception {
        return YAML.readTree(text);
    }

    private static void refused(String yaml, String message) {
        assertThatThrownBy(() -> UnknownKeys.check(yaml(yaml))).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void aMisspeltKeyNamesTheClosestKnownOne() {
        refused("worker: { shutdown-grase: 30s }",
                "worker.shutdown-grase: unknown key; did you mean worker.shutdown-grace?");
        refused("http: { max_body: 1MB }", "http.max_body: unknown key; did you mean http.max-body?");
        refused("shedules: {}", "shedules: unknown key; did you mean schedules?");
    }

    @Test
    void namedSectionsAreOpenAtTheNameAndClosedBelowIt() throws Exception {
        assertThatCode(() -> UnknownKeys.check(yaml("""
                worker: { topics: { any-topic: { timeout: 5s, backoff: { initial: 1s } } } }
                webhooks: { shop: { scheme: github, secret: s, topic: t } }
                kafka: { client: { security.protocol: SSL, anything: goes } }
                notifications: [ { name: a, url: "https://x", headers: { X-Any: 1 }, payload: { free: form } } ]
                schedules: { s: { every: 1s, topic: t, data: { any: [1, 2] } } }
                """))).doesNotThrowAnyException();
        refused("worker: { topics: { orders: { timout: 5s } } }",
                "worker.topics.orders.timout: unknown key; did you mean worker.topics.orders.timeout?");
        refused("worker: { topics: { orders: { backoff: { inital: 1s } } } }",
                "worker.topics.orders.backoff.inital: unknown key; did you mean worker.topics.orders.backoff.initial?");
        refused("webhooks: { shop: { sceme: github } }",
                "webhooks.shop.sceme: unknown key; did you mean webhooks.shop.scheme?");
        refused("notifications: [ { name: ops, urll: x } ]",
                "notifications[ops].urll: unknown key; did you mean notifications[ops].url?");
        refused("notifications: [ { urll: x } ]", "notifications[0].urll: unknown key; did you mean notifications[0].url?");
    }

    @Test
    void aKeyFarFromAnyKnownOneListsItsSection() {
        refused("colour: blue", "colour: unknown key; known: [callbacks, db, http, kafka, log, notifications, "
                + "recorder, retention, scheduler, schedules, topics, webhooks, worker]");
        refused("log: { level: debug }", "log.level: unknown key; known: [format]");
    }

    @Test
    void valuesOfTheWrongShapeAreLeftToTheSectionReaders() {
        assertThatCode(() -> UnknownKeys.check(yaml("log: json\nnotifications: { a: 1 }\ntopics: orders")))
                .doesNotThrowAnyException();
    }
}
