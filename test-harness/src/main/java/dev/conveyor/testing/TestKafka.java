package dev.conveyor.testing;

import dev.conveyor.embedded.EmbeddedKafkaBroker;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Kafka broker of the test JVM, chosen in this order:
 * <ol>
 *   <li>{@code CONVEYOR_TEST_KAFKA_BOOTSTRAP}: an already running broker at that address;</li>
 *   <li>a Testcontainers {@code apache/kafka} container when a Docker engine is available;</li>
 *   <li>an {@link EmbeddedKafkaBroker} (KRaft, combined mode) inside this JVM.</li>
 * </ol>
 * Tests isolate themselves with fresh topic names ({@link #createTopic(String, int)} appends a
 * unique suffix) and fresh consumer group ids ({@link #uniqueName(String)}).
 */
public final class TestKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TestKafka.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

    private final String bootstrap;
    private final String description;
    private final AutoCloseable owned;
    private final Admin admin;

    private TestKafka(String bootstrap, String description, AutoCloseable owned) {
        this.bootstrap = bootstrap;
        this.description = description;
        this.owned = owned;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(props);
    }

    static TestKafka start() {
        long t0 = System.nanoTime();
        TestKafka kafka;
        String external = System.getenv("CONVEYOR_TEST_KAFKA_BOOTSTRAP");
        if (external != null && !external.isBlank()) {
            kafka = new TestKafka(external.trim(), "external broker (CONVEYOR_TEST_KAFKA_BOOTSTRAP)", null);
        } else if (DockerClientFactory.instance().isDockerAvailable()) {
            KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
            container.start();
            kafka = new TestKafka(container.getBootstrapServers(), "Testcontainers " + KAFKA_IMAGE, container::stop);
        } else {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
            kafka = new TestKafka(broker.bootstrap(), "embedded KRaft broker (kafka_2.13 in this JVM)", broker);
        }
        log.info("Kafka for tests: {} at {}, ready in {} ms", kafka.description, kafka.bootstrap,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return kafka;
    }

    /** {@code host:port} of the broker. */
    public String bootstrap() {
        return bootstrap;
    }

    /** Which kind of broker this is, for test output. */
    public String description() {
        return description;
    }

    /** An admin client on the broker, owned by the harness: do not close it. */
    public Admin admin() {
        return admin;
    }

    /** {@code prefix} plus a suffix unique in this test JVM, usable as a topic or group name. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    }

    /**
     * Creates a topic named {@code prefix} plus a unique suffix and waits until it exists.
     *
     * @return the topic name
     */
    public String createTopic(String prefix, int partitions) {
        String name = uniqueName(prefix.toLowerCase(Locale.ROOT));
        createTopicNamed(name, partitions);
        return name;
    }

    /** Creates the topic {@code name} if it does not exist yet and waits until it does. */
    public void createTopicNamed(String name, int partitions) {
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topic " + name, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("topic " + name + " not created within 30 s", e);
        }
    }

    /** Producer settings for byte-array records: acks=all, idempotent, as Conveyor's own producers. */
    public Properties producerProperties() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return props;
    }

    /** Consumer settings for byte-array records in group {@code groupId}, reading from the earliest offset. */
    public Properties consumerProperties(String groupId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }

    /** {@link #consumerProperties(String)} as a map, for APIs that take one. */
    public Map<String, Object> consumerConfig(String groupId) {
        Map<String, Object> map = new java.util.HashMap<>();
        consumerProperties(groupId).forEach((k, v) -> map.put((String) k, v));
        return map;
    }

    @Override
    public void close() throws Exception {
        admin.close(Duration.ofSeconds(5));
        if (owned != null) {
            owned.close();
        }
    }
}
