package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code conveyor publish} against a real broker: a topic that does not exist is refused, one no worker reads is warned about. */
@ConveyorIntegrationTest
class PublishCommandIT {

    private record Run(int exit, String out, String err) {}

    private static Run publish(Path config, String topic) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("publish", topic, "--data", "{}", "--config", config.toString());
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aMissingTopicIsRefusedAndAnUnservedOneWarned(TestKafka kafka, @TempDir Path dir) throws Exception {
        String orders = kafka.createTopic("orders", 1);
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, "kafka: { bootstrap: \"" + kafka.bootstrap() + "\" }\nworker: { group: "
                + TestKafka.uniqueName("nobody") + " }\n");

        Run missing = publish(config, "nosuch-" + orders);
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.out()).as("no task id: nothing was published").isEmpty();
        assertThat(missing.err()).contains("topic 'nosuch-" + orders + "' does not exist", "nothing was published", orders);
        assertThat(kafka.admin().listTopics().names().get()).doesNotContain("nosuch-" + orders);

        Run unserved = publish(config, orders);
        assertThat(unserved.exit()).isZero();
        assertThat(unserved.out().trim()).matches("[0-9a-f-]{36}");
        assertThat(unserved.err()).contains("warning: no worker of group", "consumes '" + orders + "'");
    }
}
