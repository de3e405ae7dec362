package dev.conveyor.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.Ordering;
import dev.conveyor.worker.spi.ScheduledExtension;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExecutionPlanTest {

    static final class Own implements BackgroundExtension {
        @Override
        public Set<String> topics() {
            return Set.of("a", "b");
        }

        @Override
        public ExtensionSettings settings() {
            return ExtensionSettings.builder().timeout(Duration.ofSeconds(7)).maxAttempts(9).build();
        }

        @Override
        public TaskResult handle(Task task) {
            return TaskResult.done();
        }
    }

    @Test
    void settingsResolveWorkerThenExtensionThenTopicOverride() {
        ExecutionSettings settings = new ExecutionSettings(Duration.ofSeconds(60), Ordering.NONE, 16,
                RetryPolicy.defaults(), null)
                .withTopic("b", new ExecutionSettings.TopicOverride(Duration.ofSeconds(2), Ordering.KEY, 4, 3, null));
        ExecutionPlan a = ExecutionPlan.resolve("a", new Own(), settings);
        assertThat(a.kind()).isEqualTo(ExecutionPlan.Kind.BACKGROUND);
        assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(a.retry().maxAttempts()).isEqualTo(9);
        assertThat(a.ordering()).isEqualTo(Ordering.NONE);
        assertThat(a.concurrency()).isEqualTo(16);
        ExecutionPlan b = ExecutionPlan.resolve("b", new Own(), settings);
        assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.ordering()).isEqualTo(Ordering.KEY);
        assertThat(b.concurrency()).isEqualTo(4);
        assertThat(b.retry().maxAttempts()).isEqualTo(3);
    }

    @Test
    void withoutOwnSettingsTheWorkerDefaultsApply() {
        ScheduledExtension nightly = new ScheduledExtension() {
            @Override
            public Set<String> topics() {
                return Set.of("n");
            }

            @Override
            public ScheduledResult run(Task task) {
                return ScheduledResult.done();
            }
        };
        ExecutionPlan plan = ExecutionPlan.resolve("n", nightly, ExecutionSettings.defaults());
        assertThat(plan.kind()).isEqualTo(ExecutionPlan.Kind.SCHEDULED);
        assertThat(plan.timeout()).isEqualTo(ExecutionSettings.DEFAULT_TIMEOUT);
        assertThat(plan.ordering()).isEqualTo(ExecutionSettings.DEFAULT_ORDERING);
        assertThat(plan.concurrency()).isEqualTo(ExecutionSettings.DEFAULT_CONCURRENCY);
        assertThat(plan.retry()).isEqualTo(RetryPolicy.defaults());
    }

    @Test
    void interactiveExtensionsAreNotRetried() {
        InteractiveExtension quotes = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of("q");
            }

            @Override
            public InteractiveResult handle(Task task) {
                return InteractiveResult.done();
            }
        };
        ExecutionPlan plan = ExecutionPlan.resolve("q", quotes, ExecutionSettings.defaults());
        assertThat(plan.kind()).isEqualTo(ExecutionPlan.Kind.INTERACTIVE);
        assertThat(plan.retry().maxAttempts()).isEqualTo(1);
    }
}
