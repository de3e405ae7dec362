package dev.conveyor.producer;

import dev.conveyor.schema.kafka.ConveyorTopics;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.StatusStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Publishes events to Conveyor from Java: each becomes a task on its topic (or, when scheduled,
 * on {@code <prefix>delayed} for the scheduler). The returned future completes with the task id
 * only once Kafka acknowledged the record ({@code acks=all}, idempotent producer), so an event
 * whose future completed is never lost. A future that fails, fails with a {@link PublishException}
 * saying whether the record may have been enqueued all the same (then publish again with the same
 * task id) or certainly was not. Thread-safe; records are batched by the Kafka producer.
 *
 * <p>A publisher given the status store ({@link #connect(String, String, Map, StatusStore)}, or
 * {@link AcceptedTasks} in the constructor) also writes each task's {@code queued} row, after Kafka
 * acknowledged the record and before the future completes, so {@code GET /v1/tasks/{id}} finds the
 * task as soon as the caller has its id. That write waits {@link AcceptedTasks#WAIT_BOUND} at most:
 * when the database is down the future still completes with the id (the task is in Kafka, and the
 * recorder consumer group writes its row later).
 *
 * <pre>{@code
 * try (Publisher publisher = Publisher.connect("127.0.0.1:9092")) {
 *     UUID id = publisher.publish("orders", "{\"orderId\":\"o-1\"}",
 *             PublishOptions.builder().key("customer-7").traceId("t-1").build()).join();
 * }
 * }</pre>
 */
public final class Publisher implements AutoCloseable {

    /** The history's reason for the first transition of a task this publisher wrote the row of. */
    public static final String ACCEPTED_REASON = "accepted by the publisher";

    private final Producer<byte[], byte[]> producer;
    private final boolean ownsProducer;
    private final String delayedTopic;
    private final Clock clock;
    private final TaskRecordCodec codec;
    /** Writes the queued rows of published tasks, or null when this publisher does not. */
    private final AcceptedTasks accepted;
    private final boolean ownsAccepted;

    /**
     * A publisher that does not write status rows (the first worker to see a task writes its row).
     *
     * @param producer a producer of byte arrays with {@code acks=all} and idempotence
     * @param topicPrefix prefix of internal topics ({@code kafka.topic-prefix})
     */
    public Publisher(Producer<byte[], byte[]> producer, String topicPrefix, Clock clock) {
        this(producer, false, topicPrefix, clock, null, false);
    }

    /**
     * A publisher that writes each published task's {@code queued} row through {@code accepted}
     * before its future completes. Neither the producer nor {@code accepted} is closed with it.
     */
    public Publisher(Producer<byte[], byte[]> producer, String topicPrefix, Clock clock, AcceptedTasks accepted) {
        this(producer, false, topicPrefix, clock, Objects.requireNonNull(accepted, "accepted"), false);
    }

    private Publisher(Producer<byte[], byte[]> producer, boolean owns, String topicPrefix, Clock clock,
            AcceptedTasks accepted, boolean ownsAccepted) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.ownsProducer = owns;
        this.delayedTopic = new ConveyorTopics(topicPrefix).delayed();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.codec = new TaskRecordCodec(clock);
        this.accepted = accepted;
        this.ownsAccepted = ownsAccepted;
    }

    /** A publisher with its own producer, internal topic prefix {@code conveyor.}. */
    public static Publisher connect(String bootstrap) {
        return connect(bootstrap, ConveyorTopics.DEFAULT_PREFIX, Map.of());
    }

    /** A publisher with its own producer; {@code kafkaClient} entries override Conveyor's producer settings. */
    public static Publisher connect(String bootstrap, String topicPrefix, Map<String, Object> kafkaClient) {
        return new Publisher(new KafkaProducer<>(producerProperties(bootstrap, kafkaClient)), true, topicPrefix,
                Clock.systemUTC(), null, false);
    }

    /**
     * A publisher with its own producer that also writes each task's {@code queued} row in
     * {@code store} (history reason {@value #ACCEPTED_REASON}, node: the store's) before the publish
     * future completes; see the class comment. Tasks whose row could not be written within the
     * bound are counted on {@code conveyor.publisher.queued.write.failures} in Micrometer's global
     * registry. The store is not closed with the publisher.
     */
    public static Publisher connect(String bootstrap, String topicPrefix, Map<String, Object> kafkaClient,
            StatusStore store) {
        Counter failures = Counter.builder("conveyor.publisher.queued.write.failures")
                .description("Published tasks whose queued row was not written within the bound (written later)")
                .register(Metrics.globalRegistry);
        AcceptedTasks accepted = AcceptedTasks.start(store, ACCEPTED_REASON, failures);
        try {
            return new Publisher(new KafkaProducer<>(producerProperties(bootstrap, kafkaClient)), true, topicPrefix,
                    Clock.systemUTC(), accepted, true);
        } catch (RuntimeException e) {
            accepted.close();
            throw e;
        }
    }

    /** Producer settings Conveyor uses for accepted work: acks=all, idempotent, small linger for batching. */
    public static Properties producerProperties(String bootstrap, Map<String, Object> kafkaClient) {
        Map<String, Object> tuning = new java.util.HashMap<>();
        tuning.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        // Bulk publishing fills 16 KB batches (the client's default) in well under the linger:
        // bigger batches mean fewer produce requests for the broker and this process to handle.
        tuning.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        tuning.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        tuning.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        tuning.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        tuning.putAll(kafkaClient);
        return KafkaClients.producer(bootstrap, null, tuning);
    }

    /** Publishes a UTF-8 text payload (JSON by default). */
    public CompletableFuture<UUID> publish(String topic, String payload, PublishOptions options) {
        return publish(topic, payload == null ? new byte[0] : payload.getBytes(StandardCharsets.UTF_8), options);
    }

    /**
     * Publishes {@code payload} to {@code topic}.
     *
     * @return the task id, once Kafka acknowledged the record; otherwise fails with a
     *     {@link PublishException} that says whether the record may have been enqueued (then publish
     *     again with {@code PublishOptions.id} set to its task id)
     * @throws IllegalArgumentException for an invalid topic or options (nothing is sent)
     */
    public CompletableFuture<UUID> publish(String topic, byte[] payload, PublishOptions options) {
        return publish(toTask(topic, payload, options), deliverAt(options));
    }

    /** Publishes an already built task as is (its id, attempt and headers). */
    public CompletableFuture<UUID> publish(Task task) {
        return publish(task, null);
    }

    /**
     * Publishes an already built task: on its topic, or when {@code deliverAt} is set, on
     * {@code <prefix>delayed} for the scheduler to deliver then. Every task this module enqueues
     * (the Java API and the HTTP ingress alike) goes through here.
     *
     * <p>With {@link AcceptedTasks}, the task's row is written after Kafka's acknowledgement and
     * before the future completes: {@code queued}, or, for a future-dated task, {@code queued} with
     * its due time and its scheduled delivery (the change the scheduler writes when it reads the
     * record, which then finds it done). A later attempt ({@code attempt > 1}: an operator retry, a
     * redelivery) has its row already and gets no write.
     *
     * @return the task id once Kafka acknowledged the record (and its row was written or given up
     *     on); otherwise fails with a {@link PublishException}
     */
    public CompletableFuture<UUID> publish(Task task, Instant deliverAt) {
        CompletableFuture<UUID> acked = send(task.id(),
                deliverAt == null ? codec.encode(task) : DelayedRecords.encode(task, deliverAt, delayedTopic));
        if (accepted == null || task.attempt() > 1) {
            return acked;
        }
        return acked.thenCompose(id -> accepted.record(task, deliverAt).thenApply(recorded -> id));
    }

    /** The task {@link #publish} would send, for callers that need it before sending. */
    public Task toTask(String topic, byte[] payload, PublishOptions options) {
        return draft(topic, payload, options).build();
    }

    /**
     * The builder behind {@link #toTask}, for a caller that adds what only it knows before building
     * (the ingress: an interactive request's reply topic and deadline).
     */
    public Task.Builder draft(String topic, byte[] payload, PublishOptions options) {
        Objects.requireNonNull(options, "options");
        Task.Builder b = Task.builder()
                .topic(topic)
                .type(options.type() != null ? options.type() : topic)
                .source(options.source())
                .kind(options.kind())
                .key(options.key())
                .payload(payload)
                .contentType(options.contentType())
                .createdAt(options.createdAt() != null ? options.createdAt() : clock.instant())
                .callbackUrl(options.callbackUrl())
                .traceId(options.traceId())
                .idempotencyKey(options.idempotencyKey());
        if (options.id() != null) {
            b.id(options.id());
        }
        if (options.eventId() != null) {
            b.eventId(options.eventId());
        }
        options.headers().forEach(b::header);
        return b;
    }

    /** When a scheduled publish is due, or null for now. */
    public Instant deliverAt(PublishOptions options) {
        if (options.scheduleAt() != null) {
            return options.scheduleAt();
        }
        if (options.scheduleIn() != null && !options.scheduleIn().isZero()) {
            return clock.instant().plus(options.scheduleIn());
        }
        return null;
    }

    /**
     * Sends any record with Conveyor's producer; completes once Kafka acknowledged it, or fails with
     * a {@link PublishException} (without a task id) that tells whether the record may have been
     * enqueued all the same.
     */
    public CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
        return send(null, record).thenApply(ignored -> null);
    }

    /**
     * Sends the record of task {@code taskId}; completes with the id once Kafka acknowledged it, or
     * fails with a {@link PublishException} carrying the id and whether the record may have been
     * enqueued all the same.
     */
    public CompletableFuture<UUID> send(UUID taskId, ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<UUID> acked = new CompletableFuture<>();
        Thread caller = Thread.currentThread();
        AtomicBoolean inSend = new AtomicBoolean(true);
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acked.complete(taskId);
                } else {
                    // The Kafka producer reports an error on the calling thread, before send() returns,
                    // only when the record never reached its buffer (no metadata within max.block.ms,
                    // buffer full, record too large, authorization, invalid topic): nothing was sent.
                    boolean neverLeft = inSend.get() && Thread.currentThread() == caller;
                    acked.completeExceptionally(new PublishException(taskId, !neverLeft && maybeEnqueued(error), error));
                }
            });
        } catch (RuntimeException e) {
            // Thrown by send() itself (serialization, a closed producer): the record was not sent.
            acked.completeExceptionally(new PublishException(taskId, false, e));
        } finally {
            inSend.set(false);
        }
        return acked;
    }

    /**
     * Whether a record whose send failed with {@code error}, reported after it was handed to the
     * producer's sender, may have been written. The broker refuses these before appending, on every
     * attempt alike, so they are definite; anything else (a delivery or request timeout, a broken
     * connection, an unexpected error) may have come after the broker appended the batch.
     */
    static boolean maybeEnqueued(Throwable error) {
        return !(error instanceof AuthorizationException || error instanceof AuthenticationException
                || error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidTopicException || error instanceof InvalidRecordException
                || error instanceof SerializationException);
    }

    /** The underlying producer, shared with other parts of the process. */
    public Producer<byte[], byte[]> producer() {
        return producer;
    }

    /** Waits for every sent record to be acknowledged. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        if (ownsProducer) {
            // First: the producer's last acknowledgements hand their tasks to the writer.
            producer.close(Duration.ofSeconds(10));
        }
        if (ownsAccepted) {
            accepted.close();
        }
    }
}
