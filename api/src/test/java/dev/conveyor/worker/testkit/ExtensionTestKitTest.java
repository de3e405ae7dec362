package dev.conveyor.worker.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.execution.ExecutionSettings;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExtensionTestKitTest {

    static final class Reserve implements BackgroundExtension {
        @Override
        public Set<String> topics() {
            return Set.of("stock");
        }

        @Override
        public Map<String, Object> defaultConfig() {
            return Map.of("max", 5);
        }

        @Override
        public TaskResult handle(Task task) {
            int qty = task.json().path("qty").asInt();
            if (qty <= 0) {
                throw new IllegalArgumentException("qty must be positive");
            }
            if (qty > task.config().path("max").asInt()) {
                return TaskResult.reschedule(Duration.ofSeconds(1));
            }
            return TaskResult.done();
        }
    }

    private final ExtensionTestKit kit = ExtensionTestKit.of(new Reserve());

    @Test
    void runsTheExtensionAndReportsTheStatusTheWorkerWouldWrite() {
        kit.run(ExtensionTestKit.jsonTask("stock", "{\"qty\":2}"))
                .assertStatus(TaskStatus.DONE)
                .assertResultIsOneOf(TaskResult.done());
        var rescheduled = kit.run(ExtensionTestKit.jsonTask("stock", "{\"qty\":9}"));
        rescheduled.assertStatus(TaskStatus.RESCHEDULED);
        assertThat(rescheduled.next().countdown()).as("raised to the 30 s floor").isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void exceptionsBecomeRetriesThenFailure() {
        var first = kit.run(ExtensionTestKit.jsonTask("stock", "{\"qty\":0}"));
        first.assertStatus(TaskStatus.RESCHEDULED);
        assertThat(first.outcome()).isInstanceOf(Outcome.Threw.class);
        assertThat(first.result()).isNull();
        Task last = ExtensionTestKit.jsonTask("stock", "{\"qty\":0}").toBuilder().attempt(5).build();
        kit.run(last).assertStatus(TaskStatus.FAILED);
    }

    @Test
    void assertionsExplainWhatHappened() {
        var run = kit.run(ExtensionTestKit.jsonTask("stock", "{\"qty\":2}"));
        assertThatThrownBy(() -> run.assertStatus(TaskStatus.FAILED))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected status failed")
                .hasMessageContaining("would write done");
        assertThatThrownBy(() -> run.assertResultIsOneOf(TaskResult.skip("x"), TaskResult.fail("y")))
                .hasMessageContaining("expected one of [Skip[output=x], Fail[output=y]]")
                .hasMessageContaining("answered Done[]");
        assertThatThrownBy(() -> kit.run(ExtensionTestKit.jsonTask("other", "{}")))
                .hasMessageContaining("does not handle topic 'other'");
    }

    @Test
    void theTaskIsRoundTrippedThroughTheCodecAndGetsItsConfig() {
        var run = kit.run(ExtensionTestKit.jsonTask("stock", "{\"qty\":2}").toBuilder().key("sku-1")
                .traceId("t").build());
        assertThat(run.task().key()).isEqualTo("sku-1");
        assertThat(run.task().traceId()).isEqualTo("t");
        assertThat(run.task().config().path("max").asInt()).isEqualTo(5);
    }

    @Test
    void runsUnderOtherSettings() {
        ExecutionSettings settings = ExecutionSettings.defaults()
                .withTopic("stock", new ExecutionSettings.TopicOverride(null, null, null, 2, null));
        Task second = ExtensionTestKit.jsonTask("stock", "{\"qty\":0}").toBuilder().attempt(2).build();
        kit.withSettings(settings).run(second).assertStatus(TaskStatus.FAILED);
        kit.run(second).assertStatus(TaskStatus.RESCHEDULED);
    }
}
