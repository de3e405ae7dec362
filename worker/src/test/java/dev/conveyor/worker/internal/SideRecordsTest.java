package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.ReplyRecords;
import dev.conveyor.store.StatusChange;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Dead letters, traces and interactive replies, each from its own small part. */
class SideRecordsTest {

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
            new ByteArraySerializer());

    @Test
    void aDeadLetterCarriesTheOriginalAndWhy() {
        WorkerMetrics metrics = Parts.metrics();
        Polled p = Parts.polled(P0, new PartitionOffsets(), 12, Parts.task());
        var record = new DeadLetterer("dlq", metrics, Clock.systemUTC())
                .record(new WriterEvent.DeadLetter(P0, 12, p.record(), "why", null));
        assertThat(record.topic()).isEqualTo("dlq");
        assertThat(record.value()).isEqualTo(p.record().value());
        assertThat(new String(record.headers().lastHeader(DeadLetters.OFFSET).value())).isEqualTo("12");
        assertThat(metrics.deadLetters()).isEqualTo(1);
    }

    @Test
    void aChangeOfATracedTaskIsOneTraceRecordPerTransition() {
        TransitionTracer tracer = new TransitionTracer(producer, "trace", "n1");
        Task traced = Parts.task().toBuilder().traceId("t-1").build();
        StatusChange running = StatusChange.running(traced, "ext", null, Instant.now());
        assertThat(tracer.records(running)).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("trace");
            assertThat(new String(r.key())).isEqualTo("t-1");
        });
        assertThat(tracer.records(StatusChange.running(Parts.task(), "ext", null, Instant.now()))).isEmpty();
        tracer.publish(running);
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void anInteractiveAnswerGoesToTheReplyTopicAtOnce() {
        InteractiveExtension ext = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(Parts.TOPIC);
            }

            @Override
            public InteractiveResult handle(Task task) {
                return InteractiveResult.done(200, Map.of(), Map.of("a", 1));
            }
        };
        Route route = Route.resolve(Parts.TOPIC, ext, WorkerConfig.builder("k:9092").build());
        Task task = Parts.task().toBuilder().replyTo("replies").build();
        InteractiveResult answer = InteractiveResult.done(200, Map.of(), Map.of("a", 1));
        Outcome outcome = Outcome.of(answer);
        var ended = new Execution.Ended(Parts.execution(route, task), Instant.now(), Instant.now(),
                new Invoker.Invocation(outcome, answer), NextStatus.of(outcome, 1, 0, route.retry(), 0.5));
        new InteractiveReplier(producer).reply(ended);
        assertThat(producer.history()).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("replies");
            assertThat(new String(r.headers().lastHeader(ReplyRecords.TASK_ID).value())).isEqualTo(task.id().toString());
        });
    }

    @Test
    void aBackgroundTaskGetsNoReply() {
        var ended = new Execution.Ended(Parts.execution(Parts.route(), Parts.task().toBuilder().replyTo("r").build()),
                Instant.now(), Instant.now(), new Invoker.Invocation(Outcome.of(dev.conveyor.schema.TaskResult.done()), null),
                NextStatus.of(Outcome.of(dev.conveyor.schema.TaskResult.done()), 1, 0, Parts.route().retry(), 0.5));
        new InteractiveReplier(producer).reply(ended);
        assertThat(producer.history()).isEmpty();
    }
}
