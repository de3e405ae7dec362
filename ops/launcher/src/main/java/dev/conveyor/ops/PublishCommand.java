package dev.conveyor.ops;

import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.producer.PublishException;
import dev.conveyor.producer.PublishOptions;
import dev.conveyor.producer.Publisher;
import dev.conveyor.schema.kafka.KafkaClients;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish one event to a topic with the Java publisher; prints the task id.")
final class PublishCommand implements Callable<Integer> {

    private static final String DEFAULT_DATA = "{}";

    @Spec
    CommandSpec spec;

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Option(names = "--data", paramLabel = "JSON|@FILE", defaultValue = DEFAULT_DATA,
            description = "The event data: JSON text, or @path to read a file (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--schedule-in", paramLabel = "SECONDS", description = "Deliver after this many seconds.")
    Double scheduleIn;

    @Option(names = "--key", description = "Ordering key (Kafka record key).")
    String key;

    @Option(names = "--id", paramLabel = "UUID", converter = TaskIdConverter.class,
            description = "The task id to publish under (default: a new UUIDv7). Records published under one id "
                    + "are one task: use it to publish again after Kafka did not confirm a publish in time.")
    UUID id;

    @Override
    public Integer call() throws Exception {
        ConveyorConfig c = config.load();
        Integer refused = checkTopic(c, spec.commandLine().getErr());
        if (refused != null) {
            return refused;
        }
        try (Publisher publisher = Publisher.connect(c.bootstrap(), c.topicPrefix(), c.kafkaClient())) {
            return publish(publisher, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    /**
     * Refuses a topic that does not exist in Kafka (nothing is published: exit 3), and warns when no
     * worker of {@code worker.group} consumes it (the task is enqueued but waits). Null: go ahead.
     */
    private Integer checkTopic(ConveyorConfig c, PrintWriter err) throws Exception {
        try (Admin admin = Admin.create(KafkaClients.admin(c.bootstrap(), "conveyor-publish", c.kafkaClient(),
                Duration.ofSeconds(10)))) {
            java.util.Set<String> topics = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            if (!topics.contains(topic)) {
                List<String> known = topics.stream().filter(t -> !t.startsWith("_") && !t.startsWith(c.topicPrefix()))
                        .sorted().toList();
                err.println("conveyor: topic '" + topic + "' does not exist in Kafka at " + c.bootstrap()
                        + "; nothing was published. Task topics there: " + (known.isEmpty() ? "none" : String.join(", ", known))
                        + ". Conveyor creates the topics of `topics:` and of the loaded extensions when it starts.");
                err.flush();
                return 3;
            }
            boolean served;
            try {
                var group = admin.describeConsumerGroups(List.of(c.workerGroup())).describedGroups()
                        .get(c.workerGroup()).get(15, TimeUnit.SECONDS);
                served = group.members().stream().anyMatch(m -> m.assignment().topicPartitions().stream()
                        .anyMatch(tp -> tp.topic().equals(topic)));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                    throw e;
                }
                served = false; // the group never existed: no worker has ever run
            }
            if (!served) {
                err.println("conveyor: warning: no worker of group '" + c.workerGroup() + "' consumes '" + topic
                        + "' right now; the task waits in Kafka until one does (an extension for the topic, or "
                        + "`topics:` in conveyor.yaml)");
                err.flush();
            }
            return null;
        }
    }

    /** Publishes with {@code publisher}; prints the task id, or why it failed and what to do. */
    int publish(Publisher publisher, PrintWriter out, PrintWriter err) throws Exception {
        String payload = data.startsWith("@") ? Files.readString(Path.of(data.substring(1))) : data;
        PublishOptions.Builder options = PublishOptions.builder().key(key).id(id);
        if (scheduleIn != null) {
            if (scheduleIn < 0) {
                throw new IllegalArgumentException("--schedule-in must not be negative");
            }
            options.scheduleIn(Duration.ofMillis(Math.round(scheduleIn * 1000)));
        }
        try {
            out.println(publisher.publish(topic, payload, options.build()).get());
            out.flush();
            return 0;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof PublishException p)) {
                throw e;
            }
            if (p.maybeEnqueued() && p.taskId() != null) {
                // The record may be in Kafka, so the task may run; a second record under the same id is
                // the same task, so publishing again is safe under that id only.
                err.println("conveyor: Kafka did not confirm task " + p.taskId() + " in time; it may have been "
                        + "enqueued. Publish it again under the same id (both records are then one task):");
                err.println("  " + rerun(p.taskId()));
                err.println("(" + p.getCause() + ")");
            } else {
                err.println("conveyor: " + p.getMessage());
            }
            err.flush();
            return 1;
        }
    }

    /** This command as a shell command line, with {@code --id taskId}. */
    String rerun(UUID taskId) {
        List<String> words = new ArrayList<>(List.of("conveyor", "publish"));
        if (config.file != null) {
            words.add("--config");
            words.add(config.file.toString());
        }
        words.add(topic);
        if (!DEFAULT_DATA.equals(data)) {
            words.add("--data");
            words.add(data);
        }
        if (scheduleIn != null) {
            words.add("--schedule-in");
            words.add(BigDecimal.valueOf(scheduleIn).stripTrailingZeros().toPlainString());
        }
        if (key != null) {
            words.add("--key");
            words.add(key);
        }
        words.add("--id");
        words.add(taskId.toString());
        return String.join(" ", words.stream().map(PublishCommand::shellWord).toList());
    }

    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    /** {@code word} as one POSIX shell word: as is when nothing in it is special, else single-quoted. */
    static String shellWord(String word) {
        return SHELL_SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * A task id in the form {@code publish} prints it. {@link UUID#fromString} alone would also take
     * {@code 1-2-3-4-5} as an id, which is almost certainly not the one meant.
     */
    static final class TaskIdConverter implements ITypeConverter<UUID> {
        private static final Pattern CANONICAL =
                Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

        @Override
        public UUID convert(String value) {
            if (!CANONICAL.matcher(value).matches()) {
                throw new TypeConversionException("'" + value + "' is not a task id: expected a UUID such as "
                        + "0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10");
            }
            return UUID.fromString(value);
        }
    }
}
