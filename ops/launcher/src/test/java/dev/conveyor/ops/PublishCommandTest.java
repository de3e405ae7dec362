package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.producer.Publisher;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PublishCommandTest {

    private static final String ID = "0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private static PublishCommand parse(String... args) {
        PublishCommand command = new PublishCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Runs {@code command} against {@code producer}, failing the send with {@code error} once it is handed over. */
    private int publish(PublishCommand command, MockProducer<byte[], byte[]> producer, RuntimeException error)
            throws Exception {
        if (error != null) {
            // From another thread once the record is in the producer's hands, as Kafka reports a
            // failure that comes after the record left send(): the publisher tells those apart.
            Thread.ofVirtual().start(() -> {
                while (producer.history().isEmpty()) {
                    Thread.onSpinWait();
                }
                producer.errorNext(error);
            });
        }
        return command.publish(new Publisher(producer, "conveyor.", Clock.systemUTC()), new PrintWriter(out),
                new PrintWriter(err));
    }

    @Test
    void theTaskIsPublishedUnderTheGivenId() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(true);
        assertThat(publish(parse("orders", "--id", ID), producer, null)).isZero();
        assertThat(out.toString().strip()).isEqualTo(ID);
        assertThat(new String(producer.history().getFirst().headers().lastHeader("ce_id").value()))
                .isEqualTo(ID);
    }

    @Test
    void withoutAnIdTheTaskGetsANewOne() throws Exception {
        assertThat(publish(parse("orders"), producer(true), null)).isZero();
        assertThat(UUID.fromString(out.toString().strip()).version()).isEqualTo(7);
    }

    @Test
    void anInvalidIdIsAUsageErrorNamingTheOption() {
        for (String bad : new String[] {"nope", "1-2-3-4-5", ID + "0"}) {
            StringWriter usage = new StringWriter();
            int code = new CommandLine(new Main()).setErr(new PrintWriter(usage)).execute("publish", "orders", "--id", bad);
            assertThat(code).as(bad).isEqualTo(2);
            assertThat(usage.toString()).as(bad).contains("--id").contains("'" + bad + "' is not a task id");
        }
        assertThat(parse("orders", "--id", ID.toUpperCase()).id).isEqualTo(UUID.fromString(ID));
    }

    @Test
    void anUnconfirmedPublishShowsTheCommandThatPublishesItAgainUnderItsId() throws Exception {
        PublishCommand command = parse("orders", "--data", "{\"note\": \"it's\"}", "--key", "customer 7",
                "--schedule-in", "2.50");
        assertThat(publish(command, producer(false), new TimeoutException("Expiring 1 record(s)"))).isEqualTo(1);
        Matcher task = Pattern.compile("Kafka did not confirm task (\\S+) in time; it may have been enqueued")
                .matcher(err.toString());
        assertThat(task.find()).as(err.toString()).isTrue();
        assertThat(err.toString()).contains("\n  conveyor publish orders --data '{\"note\": \"it'\\''s\"}' "
                + "--schedule-in 2.5 --key 'customer 7' --id " + task.group(1) + "\n");
        assertThat(err.toString()).contains("TimeoutException: Expiring 1 record(s)");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void theCommandToRunAgainKeepsTheConfigurationAndTheGivenId() throws Exception {
        PublishCommand command = parse("--config", "deploy/conveyor.yaml", "orders", "--id", ID);
        assertThat(publish(command, producer(false), new TimeoutException("Expiring 1 record(s)"))).isEqualTo(1);
        assertThat(err.toString()).contains("\n  conveyor publish --config deploy/conveyor.yaml orders --id " + ID + "\n");
    }

    @Test
    void aRefusedPublishSaysNothingWasEnqueuedAndShowsNoId() throws Exception {
        assertThat(publish(parse("orders"), producer(false), new RecordTooLargeException("too large"))).isEqualTo(1);
        assertThat(err.toString()).contains("Kafka did not accept task").contains("nothing was enqueued")
                .doesNotContain("--id");
    }

    @Test
    void shellWords() {
        assertThat(PublishCommand.shellWord("orders")).isEqualTo("orders");
        assertThat(PublishCommand.shellWord("@data/order.json")).isEqualTo("@data/order.json");
        assertThat(PublishCommand.shellWord("{}")).isEqualTo("'{}'");
        assertThat(PublishCommand.shellWord("")).isEqualTo("''");
        assertThat(PublishCommand.shellWord("it's $HOME")).isEqualTo("'it'\\''s $HOME'");
    }
}
