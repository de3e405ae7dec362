package dev.conveyor.worker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.worker.execution.ExecutionPlan;
import dev.conveyor.worker.execution.ExecutionSettings;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.execution.Normalizer;
import dev.conveyor.worker.spi.Extension;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Runs an extension on a task the way the worker does, without a broker or a database: the task
 * is round-tripped through the real Kafka record codec (so encoding mistakes show up here), the
 * extension runs under its resolved timeout, exceptions become outcomes, and the status the worker
 * would write is computed by the worker's own invoke and normalize steps ({@link Invoker},
 * {@link Normalizer}), which know nothing of the store or of Kafka. The kit needs only
 * {@code conveyor-api}: the worker's guards (bulkhead, rate limiter, circuit breaker) are not part
 * of a run.
 *
 * <pre>{@code
 * ExtensionTestKit kit = ExtensionTestKit.of(new ShipOrder());
 * TestRun run = kit.run(ExtensionTestKit.jsonTask("orders", "{\"items\":[]}"));
 * run.assertStatus(TaskStatus.SKIPPED);
 * run.assertResultIsOneOf(TaskResult.skip("order has no items"));
 * }</pre>
 */
public final class ExtensionTestKit {

    private final Extension extension;
    private final ExecutionSettings settings;
    private final JsonNode extensionConfig;
    private final TaskRecordCodec codec = new TaskRecordCodec();

    private ExtensionTestKit(Extension extension, ExecutionSettings settings, JsonNode extensionConfig) {
        this.extension = Objects.requireNonNull(extension, "extension");
        this.settings = settings;
        this.extensionConfig = extensionConfig;
    }

    /** A kit for {@code extension} with the worker's default settings and the extension's default config. */
    public static ExtensionTestKit of(Extension extension) {
        return new ExtensionTestKit(extension, ExecutionSettings.defaults(),
                Json.mapper().valueToTree(extension.defaultConfig()));
    }

    /**
     * The same kit with other worker settings (timeouts, max attempts, floors, per-topic overrides),
     * e.g. {@code ExecutionSettings.defaults().withRetry(...)}; a worker's {@code WorkerConfig}
     * gives its own with {@code executionSettings()}.
     */
    public ExtensionTestKit withSettings(ExecutionSettings settings) {
        return new ExtensionTestKit(extension, Objects.requireNonNull(settings, "settings"), extensionConfig);
    }

    /** The same kit with {@code config} as the extension's {@code extension_configs} row. */
    public ExtensionTestKit withExtensionConfig(JsonNode config) {
        return new ExtensionTestKit(extension, settings, Objects.requireNonNull(config, "config"));
    }

    /** A background task on {@code topic} with a JSON payload. */
    public static Task jsonTask(String topic, String json) {
        return Task.builder().topic(topic).payload(json, "application/json").build();
    }

    /** Runs the extension on {@code task} as delivery number {@code task.attempt()} with no reschedules before. */
    public TestRun run(Task task) {
        return run(task, 0);
    }

    /**
     * Runs the extension on {@code task}, as if the extension had asked for {@code reschedulesBefore}
     * reschedules in earlier deliveries (so {@code attempt - 1 - reschedulesBefore} executions failed).
     */
    public TestRun run(Task task, int reschedulesBefore) {
        if (!extension.topics().contains(task.topic())) {
            throw new IllegalArgumentException("extension " + extension.name() + " does not handle topic '"
                    + task.topic() + "' (its topics: " + extension.topics() + ")");
        }
        Task delivered = roundTrip(task).withConfig(extensionConfig);
        ExecutionPlan plan = ExecutionPlan.resolve(task.topic(), extension, settings);
        Invoker.Invocation invocation;
        try {
            invocation = Invoker.invoke(plan, delivered);
        } catch (Invoker.Abandoned e) {
            throw new IllegalStateException("interrupted while the extension ran", e);
        }
        NextStatus next = Normalizer.next(plan, delivered, reschedulesBefore, invocation, 0.5);
        return new TestRun(delivered, invocation.outcome(), invocation.answer(), next,
                plan.kind() == ExecutionPlan.Kind.INTERACTIVE ? invocation.interactiveReply() : null);
    }

    private Task roundTrip(Task task) {
        ProducerRecord<byte[], byte[]> produced = codec.encode(task);
        ConsumerRecord<byte[], byte[]> consumed = new ConsumerRecord<>(produced.topic(), 0, 0L,
                task.createdAt().toEpochMilli(), TimestampType.CREATE_TIME,
                produced.key() == null ? -1 : produced.key().length, produced.value().length, produced.key(),
                produced.value(), produced.headers(), Optional.empty());
        Decoded decoded = codec.decode(consumed);
        if (decoded instanceof Decoded.Poison poison) {
            throw new AssertionError("the task does not survive the Kafka codec: " + poison.reason());
        }
        Task back = ((Decoded.Ok) decoded).task();
        if (!back.equals(task.withConfig(back.config()))) {
            throw new AssertionError("the task changed on its way through the Kafka codec:\n  sent:     " + task
                    + "\n  received: " + back);
        }
        return back;
    }

    /**
     * What one run produced.
     *
     * @param task the task as the extension received it (after the codec round trip, with config)
     * @param outcome how the execution ended
     * @param result the extension's answer ({@code TaskResult}, {@code InteractiveResult} or
     *     {@code ScheduledResult}), or null when it threw or timed out
     * @param next the status the worker would record, with countdown and output
     * @param reply for interactive extensions, the HTTP answer the caller would get; else null
     */
    public record TestRun(Task task, Outcome outcome, Object result, NextStatus next,
            dev.conveyor.schema.InteractiveResult reply) {

        /** The status the worker would write. */
        public TaskStatus status() {
            return next.status();
        }

        /** @throws AssertionError naming the actual status and outcome */
        public TestRun assertStatus(TaskStatus expected) {
            if (next.status() != expected) {
                throw new AssertionError("expected status " + expected.wireName() + " but the worker would write "
                        + next.status().wireName() + " (outcome " + outcome + ", output " + next.output() + ")");
            }
            return this;
        }

        /**
         * Asserts the extension answered one of {@code valid} (compared with {@code equals}: records
         * compare by value, so {@code TaskResult.fail("x")} matches any fail with output "x").
         *
         * @throws AssertionError listing the valid results and the actual one
         */
        public TestRun assertResultIsOneOf(Object... valid) {
            for (Object v : valid) {
                if (Objects.equals(v, result)) {
                    return this;
                }
            }
            throw new AssertionError("expected one of " + Arrays.toString(valid) + " but the extension "
                    + (result == null ? "did not answer (" + outcome + ")" : "answered " + result));
        }
    }
}
