package dev.conveyor.schema.kafka;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka client settings every Conveyor component starts from; {@code overrides}
 * ({@code kafka.client.*} plus the component's own tuning) are applied last.
 */
public final class KafkaClients {

    private KafkaClients() {}

    /**
     * Admin client settings for a component that asks Kafka something now and then (lag, group
     * offsets): {@code kafkaClient} first, then the bootstrap, the client id and both timeouts set to
     * {@code timeout}, so a call fails within it when Kafka does not answer.
     */
    public static Properties admin(String bootstrap, String clientId, Map<String, Object> kafkaClient,
            java.time.Duration timeout) {
        Properties props = new Properties();
        props.putAll(kafkaClient);
        props.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(org.apache.kafka.clients.admin.AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        props.put(org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return props;
    }

    /** Byte-array producer for accepted work: {@code acks=all}, idempotent, 1 ms linger. */
    public static Properties producer(String bootstrap, String clientId, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (clientId != null) {
            props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        }
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        overrides.forEach(props::put);
        return props;
    }

    /**
     * How long a group member may go without a heartbeat before the group gives its partitions to the
     * others: a killed worker's partitions wait this long (Kafka's default, 45 s, stalled them for
     * most of a minute; 10 s still left a worker killed while the other was joining idle for 12 s in
     * the fault suite). Heartbeats come from the client's own thread, so a busy poll loop does not
     * miss them; 6 s is the smallest session timeout brokers allow by default
     * ({@code group.min.session.timeout.ms}). A false alarm (a stall of the whole JVM over 6 s)
     * costs a rebalance and re-runs the executions in flight, never a task.
     */
    public static final int SESSION_TIMEOUT_MS = 6_000;
    /** A third of the session timeout, as Kafka advises. */
    public static final int HEARTBEAT_INTERVAL_MS = 2_000;

    /**
     * Byte-array consumer that commits by hand and, in a new group, starts at the earliest offset
     * (a new group must not skip work published before it first started).
     *
     * <p>Group membership is tuned for quick recovery: cooperative rebalancing (a member joining or
     * leaving moves only the partitions that change owner; the others keep running, where the eager
     * default stopped every member) and a {@link #SESSION_TIMEOUT_MS 6 s} session timeout. A member
     * that stops cleanly leaves the group at once. Static membership ({@code group.instance.id}) is
     * left to the user ({@code kafka.client}, one id per process): it spares the rebalance of a quick
     * restart but holds a dead member's partitions for the whole session timeout.
     *
     * @param groupId the consumer group, or null for a consumer that assigns partitions itself
     */
    public static Properties consumer(String bootstrap, String groupId, String clientId, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (groupId != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        if (clientId != null) {
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        }
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, HEARTBEAT_INTERVAL_MS);
        overrides.forEach(props::put);
        return props;
    }
}
