package dev.conveyor.bench;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.util.Set;
import java.util.function.Function;

/**
 * The benchmark's extension: does nothing but let the workload record when it was called (the
 * handler notes a timestamp and answers the result the workload wants, usually {@code done}).
 */
public final class RecordingExtension implements BackgroundExtension {

    private final Set<String> topics;
    private final String name;
    private final Function<Task, TaskResult> handler;

    public RecordingExtension(String topic, String name, Function<Task, TaskResult> handler) {
        this(Set.of(topic), name, handler);
    }

    public RecordingExtension(Set<String> topics, String name, Function<Task, TaskResult> handler) {
        this.topics = Set.copyOf(topics);
        this.name = name;
        this.handler = handler;
    }

    @Override
    public Set<String> topics() {
        return topics;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TaskResult handle(Task task) {
        return handler.apply(task);
    }
}
