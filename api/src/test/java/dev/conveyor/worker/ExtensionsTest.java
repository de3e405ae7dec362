package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExtensionsTest {

    record Bg(String name, Set<String> topics) implements BackgroundExtension {
        @Override
        public TaskResult handle(Task task) {
            return TaskResult.done();
        }
    }

    static final class Orders implements BackgroundExtension {
        @Override
        public Set<String> topics() {
            return Set.of("orders");
        }

        @Override
        public TaskResult handle(Task task) {
            return TaskResult.done();
        }
    }

    static final class Quotes implements InteractiveExtension {
        @Override
        public Set<String> topics() {
            return Set.of("quotes", "orders");
        }

        @Override
        public InteractiveResult handle(Task task) {
            return InteractiveResult.done();
        }
    }

    @Test
    void mapsTopicsToTheirExtension() {
        Extensions extensions = Extensions.of(new Bg("a", Set.of("t1", "t2")), new Bg("b", Set.of("t3")));
        assertThat(extensions.topics()).containsExactlyInAnyOrder("t1", "t2", "t3");
        assertThat(extensions.forTopic("t3").orElseThrow().name()).isEqualTo("b");
        assertThat(extensions.forTopic("nope")).isEmpty();
    }

    @Test
    void twoExtensionsClaimingATopicIsAnErrorNamingBoth() {
        assertThatThrownBy(() -> Extensions.of(new Orders(), new Quotes()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic 'orders' is claimed by two extensions")
                .hasMessageContaining("'Orders' (dev.conveyor.worker.ExtensionsTest$Orders)")
                .hasMessageContaining("'Quotes' (dev.conveyor.worker.ExtensionsTest$Quotes)");
    }

    @Test
    void rejectsInvalidDeclarations() {
        assertThatThrownBy(() -> Extensions.of(new Bg("a", Set.of())))
                .hasMessageContaining("declares no topics");
        assertThatThrownBy(() -> Extensions.of(new Bg("a", Set.of("bad topic"))))
                .hasMessageContaining("invalid topic 'bad topic'");
        assertThatThrownBy(() -> Extensions.of(new Bg("same", Set.of("x")), new Bg("same", Set.of("y"))))
                .hasMessageContaining("are both named 'same'");
    }

    @Test
    void loadsExtensionsListedInMetaInfServices() {
        // src/test/resources/META-INF/services lists ServiceLoaded below.
        Extensions loaded = Extensions.load(getClass().getClassLoader());
        assertThat(loaded.forTopic("service-loaded").orElseThrow()).isInstanceOf(ServiceLoaded.class);
    }

    /** Found through META-INF/services/dev.conveyor.worker.spi.BackgroundExtension. */
    public static final class ServiceLoaded implements BackgroundExtension {
        @Override
        public Set<String> topics() {
            return Set.of("service-loaded");
        }

        @Override
        public TaskResult handle(Task task) {
            return TaskResult.done();
        }
    }
}
