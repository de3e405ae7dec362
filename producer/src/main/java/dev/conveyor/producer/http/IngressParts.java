package dev.conveyor.producer.http;

import dev.conveyor.store.db.Database;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;

/**
 * What a process gives its ingress ({@link IngressServer#start(IngressParts)}). The ingress uses
 * these and does not close them: the process that made them does. The ingress still opens its own
 * replies consumer and stats admin client from {@code config}, and closes those.
 *
 * @param config the ingress settings
 * @param producer the Kafka producer every task is sent with; make it with {@link IngressProducer#create}
 *     for the ingress's tuning
 * @param database the process pool (idempotency keys, status API, readiness)
 * @param store the status store (the rows of accepted tasks, operator retry and cancel); its node
 *     names the ingress in the tasks' histories
 * @param clock time source of every time the ingress computes
 * @param meters where {@code conveyor.ingress.*} and {@code conveyor.http.*} meters go
 * @param prometheus the process's metrics in Prometheus text format, served at {@code GET /metrics};
 *     null when the process has no Prometheus registry
 */
public record IngressParts(IngressConfig config, Producer<byte[], byte[]> producer, Database database,
        StatusStore store, Clock clock, MeterRegistry meters, Supplier<String> prometheus) {

    public IngressParts {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(meters, "meters");
    }

    /** The parts with the status store over {@code database} (the store of this node, {@code config.node()}). */
    public static IngressParts of(IngressConfig config, Producer<byte[], byte[]> producer,
            IngressServer.Collaborators collaborators) {
        Database database = collaborators.database();
        return new IngressParts(config, producer, database, new JooqStatusStore(database.dsl(), config.node(),
                dev.conveyor.store.OutboxRouting.NONE, config.statusModes()),
                collaborators.clock(), collaborators.meters(), collaborators.prometheus());
    }
}
