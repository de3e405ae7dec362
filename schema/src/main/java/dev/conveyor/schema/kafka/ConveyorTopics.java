package dev.conveyor.schema.kafka;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Conveyor's internal topics, named once: {@code <prefix>dlq}, {@code <prefix>delayed},
 * {@code <prefix>replies} and {@code <prefix>trace} (SPEC §3; the default prefix is {@code conveyor.}).
 *
 * <pre>{@code
 * ConveyorTopics topics = new ConveyorTopics("conveyor.");
 * topics.dlq();                       // "conveyor.dlq"
 * topics.ensure(bootstrap, Map.of()); // creates the four when missing
 * }</pre>
 *
 * @param prefix prepended to every internal topic's name; may be empty
 * @param retention how long Kafka keeps each internal topic's records, set when {@link #ensure} creates it
 */
public record ConveyorTopics(String prefix, TopicRetention retention) {

    /** The prefix of a default installation. */
    public static final String DEFAULT_PREFIX = "conveyor.";

    private static final long ADMIN_TIMEOUT_SECONDS = 30;

    public ConveyorTopics {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(retention, "retention");
    }

    /** The internal topics under {@code prefix}, with the default retention ({@link TopicRetention#DEFAULTS}). */
    public ConveyorTopics(String prefix) {
        this(prefix, TopicRetention.DEFAULTS);
    }

    /** Dead letters: records no worker can run (SPEC §3). */
    public String dlq() {
        return prefix + "dlq";
    }

    /** Future-dated and rescheduled tasks waiting for the scheduler. */
    public String delayed() {
        return prefix + "delayed";
    }

    /** Interactive extensions' answers, read by the ingress node that holds the HTTP request. */
    public String replies() {
        return prefix + "replies";
    }

    /** One record per task step when tracing is on. */
    public String trace() {
        return prefix + "trace";
    }

    /** The four internal topics. */
    public List<String> all() {
        return List.of(dlq(), delayed(), replies(), trace());
    }

    /**
     * Creates the internal topics that are missing, with the broker's defaults for partitions and
     * replication and this object's {@link #retention} (an existing topic is left as it is).
     *
     * @param kafkaClient extra client settings (security, …) applied to the admin client
     * @throws IllegalStateException naming the topic and the broker when Kafka refuses or does not answer
     */
    public void ensure(String bootstrap, Map<String, Object> kafkaClient) {
        ensure(bootstrap, kafkaClient, Set.of(), Optional.empty());
    }

    /**
     * Creates the internal topics and {@code taskTopics} that are missing.
     *
     * @param taskTopics task topics to create beside the internal ones (dev mode)
     * @param partitions partitions of created task topics; the broker's default when empty. Internal
     *                   topics always take the broker's default.
     */
    public void ensure(String bootstrap, Map<String, Object> kafkaClient, Set<String> taskTopics,
                       Optional<Integer> partitions) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        kafkaClient.forEach(props::put);
        Map<String, Map<String, String>> configs = retention.configs(this);
        List<NewTopic> wanted = Stream.concat(
                        all().stream().map(name -> new NewTopic(name, Optional.empty(), Optional.empty())
                                .configs(configs.get(name))),
                        taskTopics.stream().map(name -> new NewTopic(name, partitions, Optional.empty())))
                .collect(Collectors.toList());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(wanted).values().forEach((name, created) -> await(bootstrap, name, created));
        }
    }

    private static void await(String bootstrap, String name, org.apache.kafka.common.KafkaFuture<Void> created) {
        try {
            created.get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within "
                    + ADMIN_TIMEOUT_SECONDS + " s creating topic " + name, e);
        }
    }
}
