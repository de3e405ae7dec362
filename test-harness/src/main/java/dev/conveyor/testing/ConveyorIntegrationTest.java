package dev.conveyor.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test that runs against the real infrastructure: one KRaft Kafka broker
 * shared by the whole test JVM and a PostgreSQL schema of its own, migrated by Flyway, dropped
 * after the class.
 *
 * <p>Test methods, constructors and lifecycle methods may declare parameters of type
 * {@link TestKafka} and {@link TestDatabase}:
 * <pre>{@code
 * @ConveyorIntegrationTest
 * class OrdersIT {
 *     @Test
 *     void writesStatus(TestKafka kafka, TestDatabase db) {
 *         String topic = kafka.createTopic("orders", 3);
 *         ...
 *     }
 * }
 * }</pre>
 * Name such classes {@code *IT} so failsafe runs them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("integration")
@ExtendWith(InfrastructureExtension.class)
public @interface ConveyorIntegrationTest {}
