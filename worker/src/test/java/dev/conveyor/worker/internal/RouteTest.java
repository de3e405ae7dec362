package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTest {

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
        WorkerConfig config = WorkerConfig.builder("k:9092").concurrency(16).ordering(Ordering.NONE)
                .topics(Map.of("b", new TopicSettings(Duration.ofSeconds(2), Ordering.KEY, 4, null, null))).build();
        Route a = Route.resolve("a", new Own(), config);
        assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(a.retry().maxAttempts()).isEqualTo(9);
        assertThat(a.ordering()).isEqualTo(Ordering.NONE);
        assertThat(a.concurrency()).isEqualTo(16);
        Route b = Route.resolve("b", new Own(), config);
        assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.ordering()).isEqualTo(Ordering.KEY);
        assertThat(b.concurrency()).isEqualTo(4);
        assertThat(b.bulkhead().getBulkheadConfig().getMaxConcurrentCalls()).isEqualTo(4);
        assertThat(b.retry().maxAttempts()).isEqualTo(9);
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
        assertThat(Route.resolve("q", quotes, WorkerConfig.defaults("k:9092")).retry().maxAttempts()).isEqualTo(1);
    }
}
