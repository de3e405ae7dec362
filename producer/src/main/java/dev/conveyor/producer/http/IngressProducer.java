package dev.conveyor.producer.http;

import dev.conveyor.producer.Publisher;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka producer settings of an ingress, tuned for requests that each wait for their
 * acknowledgement (the Java API's defaults are tuned for bulk publishing). A process building the
 * ingress from {@link IngressParts} makes its producer with {@link #create}.
 */
public final class IngressProducer {

    private IngressProducer() {}

    /** A producer with {@link #properties}. */
    public static KafkaProducer<byte[], byte[]> create(IngressConfig config) {
        return new KafkaProducer<>(properties(config));
    }

    /** Conveyor's producer settings with the ingress's tuning; {@code kafka.client.*} entries override both. */
    public static Properties properties(IngressConfig config) {
        Map<String, Object> kafka = new HashMap<>();
        // Fail fast when Kafka is down: the client gets 503 within seconds, nothing is accepted.
        kafka.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        kafka.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        kafka.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        // Natural batching: one produce request in flight to a broker at a time, sent at once (no
        // linger); whatever arrives while it is out goes into the next one. Every request waits for
        // its acknowledgement, so a quiet ingress answers after one round trip, and a busy one sends
        // fewer, fuller requests (the broker's and the producer's work is per request, not per
        // record) instead of up to five requests of a few records each, every 1 ms of linger.
        kafka.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        kafka.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        kafka.putAll(config.kafkaClient());
        return Publisher.producerProperties(config.bootstrap(), kafka);
    }
}
