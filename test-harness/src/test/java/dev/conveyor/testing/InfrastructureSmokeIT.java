package dev.conveyor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/** Proves the harness gives tests a real broker and a real, migrated, isolated database. */
@ConveyorIntegrationTest
class InfrastructureSmokeIT {

    @Test
    void recordsRoundTripThroughTheBroker(TestKafka kafka) throws Exception {
        String topic = kafka.createTopic("smoke", 3);
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            for (int i = 0; i < 30; i++) {
                String value = "value-" + i;
                sent.add(value);
                RecordMetadata meta = producer.send(new ProducerRecord<>(topic,
                        ("key-" + (i % 5)).getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8))).get();
                assertThat(meta.topic()).isEqualTo(topic);
                assertThat(meta.offset()).isGreaterThanOrEqualTo(0);
            }
        }

        List<String> received = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("smoke-group")))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    received.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void eachClassGetsAMigratedSchemaOfItsOwn(TestDatabase db) {
        assertThat(db.migrationsApplied()).isGreaterThanOrEqualTo(1);
        List<String> tables = db.dsl().fetch(
                        "select table_name from information_schema.tables where table_schema = ? order by 1", db.schema())
                .getValues(0, String.class);
        assertThat(tables).containsAll(Set.of(
                "tasks", "task_transitions", "scheduled_deliveries", "schedules", "extension_configs"));
        String searchPath = db.dsl().fetchSingle("select current_schema()").get(0, String.class);
        assertThat(searchPath).isEqualTo(db.schema());
    }
}
