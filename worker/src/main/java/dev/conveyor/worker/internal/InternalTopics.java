package dev.conveyor.worker.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Conveyor's internal topics when missing (broker defaults for partitions and replication). */
public final class InternalTopics {

    private InternalTopics() {}

    /**
     * @throws IllegalStateException naming the topic and the broker when Kafka refuses or does not answer
     */
    public static void ensure(String bootstrap, Map<String, Object> kafkaClient, List<String> topics) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        kafkaClient.forEach(props::put);
        try (Admin admin = Admin.create(props)) {
            List<NewTopic> wanted = topics.stream()
                    .map(name -> new NewTopic(name, Optional.empty(), Optional.empty())).toList();
            admin.createTopics(wanted).values().forEach((name, future) -> {
                try {
                    future.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create internal topic " + name + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted creating " + name, e);
                } catch (TimeoutException e) {
                    throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within 30 s creating "
                            + name, e);
                }
            });
        }
    }
}
