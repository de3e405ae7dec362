package {{package}};

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.testkit.ExtensionTestKit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Unit tests with Conveyor's test kit: it runs an extension the way the worker does (timeout,
 * retries, how an exception or a result becomes a status) without Kafka or a database.
 */
class ExtensionsTest {

    private final ExtensionTestKit welcome = ExtensionTestKit.of(new Welcome());

    @Test
    void welcomeIsDoneForAnEmailAndSkipsAnEventWithout() {
        welcome.run(ExtensionTestKit.jsonTask("{{topic}}", "{\"email\":\"ada@example.com\"}"))
                .assertStatus(TaskStatus.DONE).assertResultIsOneOf(TaskResult.done());
        welcome.run(ExtensionTestKit.jsonTask("{{topic}}", "{}"))
                .assertStatus(TaskStatus.SKIPPED).assertResultIsOneOf(TaskResult.skip("no email in the event"));
        welcome.run(ExtensionTestKit.jsonTask("{{topic}}", "{\"email\":\"nobody\"}"))
                .assertStatus(TaskStatus.FAILED);
    }

    @Test
    void welcomeIsRescheduledWhileTheMailServerIsBusyThenRuns() {
        Task busy = ExtensionTestKit.jsonTask("{{topic}}", "{\"email\":\"ada@example.com\",\"mailServerBusy\":true}");
        var first = welcome.run(busy);
        first.assertStatus(TaskStatus.RESCHEDULED);
        assertThat(first.next().countdown()).isEqualTo(Duration.ofMinutes(1));
        // The third delivery (attempt 3) goes ahead.
        welcome.run(busy.toBuilder().attempt(3).build()).assertStatus(TaskStatus.DONE);
    }

    @Test
    void quoteAnswersWithATotalOrA400() {
        ExtensionTestKit quote = ExtensionTestKit.of(new Quote());
        var ok = quote.run(ExtensionTestKit.jsonTask("{{artifact}}-quotes", "{\"qty\":3}").toBuilder()
                .kind(TaskKind.INTERACTIVE).build());
        ok.assertStatus(TaskStatus.DONE);
        assertThat(ok.reply().httpStatus()).isEqualTo(200);
        var bad = quote.run(ExtensionTestKit.jsonTask("{{artifact}}-quotes", "{}").toBuilder()
                .kind(TaskKind.INTERACTIVE).build());
        assertThat(bad.reply().httpStatus()).isEqualTo(400);
    }

    @Test
    void digestRuns() {
        ExtensionTestKit.of(new Digest()).run(ExtensionTestKit.jsonTask("{{artifact}}-digests", "{\"kind\":\"daily\"}"))
                .assertStatus(TaskStatus.DONE).assertResultIsOneOf(ScheduledResult.done());
    }
}
