package dev.conveyor.ops;

import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish one event to a topic with the Java publisher; prints the task id.")
final class PublishCommand implements Callable<Integer> {

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Option(names = "--data", paramLabel = "JSON|@FILE", defaultValue = "{}",
            description = "The event data: JSON text, or @path to read a file (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--schedule-in", paramLabel = "SECONDS", description = "Deliver after this many seconds.")
    Double scheduleIn;

    @Option(names = "--key", description = "Ordering key (Kafka record key).")
    String key;

    @Override
    public Integer call() throws Exception {
        ConveyorConfig c = config.load();
        String payload = data.startsWith("@") ? Files.readString(Path.of(data.substring(1))) : data;
        PublishOptions.Builder options = PublishOptions.builder().key(key);
        if (scheduleIn != null) {
            if (scheduleIn < 0) {
                throw new IllegalArgumentException("--schedule-in must not be negative");
            }
            options.scheduleIn(Duration.ofMillis(Math.round(scheduleIn * 1000)));
        }
        try (Publisher publisher = Publisher.connect(c.bootstrap(), c.topicPrefix(), c.kafkaClient())) {
            UUID id = publisher.publish(topic, payload, options.build()).get();
            System.out.println(id);
        }
        return 0;
    }
}
