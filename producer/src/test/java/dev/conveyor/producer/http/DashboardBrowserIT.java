package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.openqa.selenium.StaleElementReferenceException;

/**
 * The dashboard in a real headless Chromium against a real ingress, broker and PostgreSQL: sign in
 * with the token, overview, task list, task detail, and a retry pressed in the page. Screenshots go
 * to {@code target/dashboard-*.png}.
 *
 * <p>Needs the Debian packages {@code chromium} and {@code chromium-driver} ({@code .ci/run}
 * installs them). Both paths are set explicitly, so Selenium Manager never downloads a browser or
 * a driver; without them the test fails, it is not skipped.
 */
@ConveyorIntegrationTest
class DashboardBrowserIT {

    private static final Path CHROMEDRIVER = Path.of(System.getProperty("conveyor.chromedriver", "/usr/bin/chromedriver"));
    private static final Path CHROMIUM = Path.of(System.getProperty("conveyor.chromium", "/usr/bin/chromium"));
    private static final Path SCREENSHOTS = Path.of("target");
    private static final String TOKEN = "dashboard-" + UUID.randomUUID();
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static Database database;
    private static JooqStatusStore store;
    private static IngressServer ingress;
    private static ChromeDriverService service;
    private static ChromeDriver driver;
    private static String orders;
    private static String payments;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start(TestKafka kafka, TestDatabase db) {
        assertThat(Files.isExecutable(CHROMEDRIVER))
                .as("chromedriver is required for the dashboard browser test and was not found at %s; install the "
                        + "Debian packages: apt-get install -y chromium chromium-driver (or set -Dconveyor.chromedriver"
                        + " and -Dconveyor.chromium)", CHROMEDRIVER)
                .isTrue();
        assertThat(Files.isExecutable(CHROMIUM))
                .as("Chromium is required for the dashboard browser test and was not found at %s; install the Debian "
                        + "package: apt-get install -y chromium", CHROMIUM)
                .isTrue();
        orders = kafka.createTopic("dash-orders", 1);
        payments = kafka.createTopic("dash-payments", 1);
        String prefix = TestKafka.uniqueName("dash") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "dashboard");
        store = new JooqStatusStore(database.dsl(), "dashboard-test");
        ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap())
                        .port(0)
                        .topicPrefix(prefix)
                        .topics(Set.of(orders, payments))
                        .tokens(Set.of(TOKEN))
                        .build(),
                new IngressServer.Collaborators(database, Clock.systemUTC()));

        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=en-US", "--no-first-run", "--disable-extensions");
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (ingress != null) {
            ingress.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** A failing test leaves a picture of the page it gave up on. */
    @RegisterExtension
    final TestWatcher screenshotOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (driver != null) {
                try {
                    screenshot("dashboard-failed-" + context.getRequiredTestMethod().getName() + ".png");
                } catch (IOException | RuntimeException e) {
                    cause.addSuppressed(e);
                }
            }
        }
    };

    // ---- tests -----------------------------------------------------------------------------------

    @Test
    void servesTheFilesWithoutATokenAndNothingElse() throws Exception {
        HttpResponse<String> redirect = get("/ui");
        assertThat(redirect.statusCode()).isEqualTo(301);
        assertThat(redirect.headers().firstValue("Location")).hasValue("/ui/");

        HttpResponse<String> index = get("/ui/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(index.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(index.body()).contains("<script src=\"app.js\"></script>");

        assertThat(get("/ui/app.js").headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
        assertThat(get("/ui/app.css").headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/css"));
        assertThat(get("/ui/missing.js").statusCode()).isEqualTo(404);
        assertThat(get("/ui/Dashboard.class").statusCode()).isEqualTo(404);
        assertThat(get("/ui/..%2Fhttp%2FDashboard.class").statusCode()).isEqualTo(404);
        assertThat(get("/ui/..%2F..%2F..%2F..%2F..%2Flogback.xml").statusCode()).isEqualTo(404);
        assertThat(get("/ui/%2e%2e").statusCode()).isEqualTo(404);
        // The files are public; the data is not.
        assertThat(get("/v1/tasks/" + UUID.randomUUID()).statusCode()).isEqualTo(401);
    }

    /** Works against {@code GET /v1/tasks/{id}} alone. */
    @Test
    void taskDetailShowsTheStoredTaskEscaped() throws Exception {
        UUID id = failedTask(orders, "{\"order\": 42, \"note\": \"<script>window.injected = 1</script><b>bold</b>\"}",
                "card declined: <img src=x onerror=\"window.injected = 2\">");

        open("/ui/#/tasks/" + id);
        wait(ExpectedConditions.textToBe(By.cssSelector("[data-testid=task-id]"), id.toString()));

        assertThat(driver.findElement(By.cssSelector("[data-testid=login-form]")).isDisplayed()).isFalse();
        assertThat(text("[data-testid=field-status]")).isEqualTo("failed");
        assertThat(text("[data-testid=field-attempt]")).isEqualTo("1");
        assertThat(text("[data-testid=field-topic]")).isEqualTo(orders);
        assertThat(text("[data-testid=field-type]")).isEqualTo("order.charge");
        assertThat(text("[data-testid=field-extension]")).isEqualTo("payments-extension");
        assertThat(text("[data-testid=task-output]")).isEqualTo("card declined: <img src=x onerror=\"window.injected = 2\">");
        assertThat(text("[data-testid=task-payload]")).contains("\"note\": \"<script>window.injected = 1</script><b>bold</b>\"");
        assertThat(text("[data-testid=task-result]")).contains("\"reason\": \"card declined\"");
        // Text from the API stays text: no element was made from it and nothing ran.
        assertThat(driver.findElements(By.cssSelector("[data-testid=task-payload] *, [data-testid=task-output] *"))).isEmpty();
        assertThat(((JavascriptExecutor) driver).executeScript("return window.injected === undefined")).isEqualTo(true);

        List<WebElement> transitions = driver.findElements(By.cssSelector("[data-testid=transition]"));
        assertThat(transitions).hasSize(3);
        assertThat(transitions.get(0).getText()).contains("queued", "attempt 1");
        assertThat(transitions.get(2).getText()).contains("running", "failed", "attempt 1", "node dashboard-test");
        assertThat(driver.findElements(By.cssSelector("[data-testid=retry]"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("[data-testid=cancel]"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid=deliveries]"))).as("no deliveries, no table")
                .isEmpty();

        // Its callback delivery (an outbox row, as the worker writes it) shows with its last outcome.
        database.dsl().insertInto(dev.conveyor.store.db.jooq.Tables.OUTBOX,
                        dev.conveyor.store.db.jooq.Tables.OUTBOX.TASK_ID, dev.conveyor.store.db.jooq.Tables.OUTBOX.STATUS,
                        dev.conveyor.store.db.jooq.Tables.OUTBOX.KIND, dev.conveyor.store.db.jooq.Tables.OUTBOX.TARGET,
                        dev.conveyor.store.db.jooq.Tables.OUTBOX.URL, dev.conveyor.store.db.jooq.Tables.OUTBOX.ATTEMPTS,
                        dev.conveyor.store.db.jooq.Tables.OUTBOX.LAST_STATUS,
                        dev.conveyor.store.db.jooq.Tables.OUTBOX.LAST_ERROR)
                .values(id, dev.conveyor.schema.TaskStatus.FAILED, "callback", "callback",
                        "https://receiver.example/cb?<b>x</b>", 3, 503, "receiver answered 503")
                .execute();
        driver.findElement(By.cssSelector("[data-testid=reload]")).click();
        wait(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid=delivery]")));
        assertThat(text("[data-testid=delivery]")).contains("callback", "failed", "https://receiver.example/cb?<b>x</b>",
                "pending", "3", "HTTP 503", "receiver answered 503", "next try 20").doesNotContain("[object");
        screenshot("dashboard-detail-failed.png");

        open("/ui/#/tasks/" + UUID.randomUUID());
        wait(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid=error-banner]")));
        assertThat(text("[data-testid=error-banner]")).contains("404", "unknown task");
    }

    /**
     * The whole operator path: token, overview counts, the failed count links to the filtered list,
     * the task's detail, Retry, and the new state on the page. Needs {@code GET /v1/stats},
     * {@code GET /v1/tasks} and {@code POST /v1/tasks/{id}/retry} (docs/status-api.md).
     */
    @Test
    void retryAFailedTaskFromTheOverview() throws Exception {
        for (int i = 0; i < 3; i++) {
            doneTask(payments);
        }
        UUID id = failedTask(payments, "{\"payment\": 7, \"amount\": \"12.50\"}", "gateway timeout");

        driver.get(ingress.baseUri().resolve("/ui/").toString());
        ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
        driver.navigate().refresh();
        WebElement login = wait(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid=login-form]")));
        login.findElement(By.cssSelector("[data-testid=token-input]")).sendKeys("wrong-token");
        login.findElement(By.cssSelector("[data-testid=token-submit]")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=login-message]"),
                "not accepted"));
        login.findElement(By.cssSelector("[data-testid=token-input]")).sendKeys(TOKEN);
        login.findElement(By.cssSelector("[data-testid=token-submit]")).click();

        By row = By.cssSelector("[data-testid=topic-row][data-topic='" + payments + "']");
        WebElement topicRow = wait(ExpectedConditions.visibilityOfElementLocated(row));
        assertThat(login.isDisplayed()).isFalse();
        assertThat(topicRow.findElement(By.cssSelector("[data-testid=count-failed]")).getText()).isEqualTo("1");
        assertThat(topicRow.findElement(By.cssSelector("[data-testid=count-done]")).getText()).isEqualTo("3");
        assertThat(driver.findElements(By.cssSelector("[data-testid=sparkline], [data-testid=throughput]"))).isNotEmpty();
        screenshot("dashboard-overview.png");

        topicRow.findElement(By.cssSelector("[data-testid=count-failed]")).click();
        By taskRow = By.cssSelector("[data-testid=task-row][data-task-id='" + id + "']");
        WebElement listed = wait(ExpectedConditions.visibilityOfElementLocated(taskRow));
        assertThat(driver.getCurrentUrl()).contains("status=failed").contains("topic=" + payments);
        assertThat(listed.findElement(By.cssSelector("[data-testid=status-badge]")).getText()).isEqualTo("failed");
        assertThat(listed.getText()).contains(payments, "gateway timeout");
        assertThat(listed.findElement(By.cssSelector("[data-testid=task-link]")).getText())
                .as("more than the time part of the UUIDv7").isEqualTo(id.toString().substring(0, 18));
        assertThat(listed.getText()).as("times with their date").containsPattern("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}");
        assertThat(driver.findElements(By.cssSelector("[data-testid=task-row]"))).hasSize(1);
        screenshot("dashboard-list.png");

        // The list refreshes itself: find the link again if a refresh replaced the row meanwhile.
        new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(d -> {
            d.findElement(taskRow).findElement(By.cssSelector("[data-testid=task-link]")).click();
            return true;
        });
        wait(ExpectedConditions.textToBe(By.cssSelector("[data-testid=task-id]"), id.toString()));
        driver.findElement(By.cssSelector("[data-testid=retry]")).click();

        wait(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=action-message]"),
                "attempt 2"));
        wait(ExpectedConditions.textToBe(By.cssSelector("[data-testid=field-status]"), "queued"));
        assertThat(text("[data-testid=field-attempt]")).isEqualTo("2");
        List<WebElement> transitions = driver.findElements(By.cssSelector("[data-testid=transition]"));
        assertThat(transitions.get(transitions.size() - 1).getText()).contains("failed", "queued", "retried by operator");
        assertThat(driver.findElements(By.cssSelector("[data-testid=retry]"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid=cancel]"))).hasSize(1);
        screenshot("dashboard-detail.png");
    }

    /**
     * A task accepted but not picked up by any worker (its record waits in Kafka): the overview shows
     * the topic's queued backlog and the age of its oldest task beside the lag, and the task's page
     * offers Cancel, which marks it cancelled. Needs {@code GET /v1/stats} and
     * {@code POST /v1/tasks/{id}/cancel}.
     */
    @Test
    void cancelATaskThatWaitsInKafka() throws Exception {
        String waiting = TestKafka.uniqueName("dash-waiting");
        Instant acceptedAt = Instant.now().minusSeconds(150);
        Task older = Task.builder().topic(waiting).type("mail.send").payload("{\"to\": \"a@example.com\"}",
                "application/json").createdAt(acceptedAt).idempotencyKey("mail-" + UUID.randomUUID()).build();
        Task newer = Task.builder().topic(waiting).type("mail.send").payload("{}", "application/json")
                .createdAt(Instant.now()).build();
        store.recordQueued(List.of(StatusChange.accepted(older, "accepted by the ingress"),
                StatusChange.accepted(newer, "accepted by the ingress")));

        open("/ui/#/");
        By row = By.cssSelector("[data-testid=topic-row][data-topic='" + waiting + "']");
        WebElement topicRow = wait(ExpectedConditions.visibilityOfElementLocated(row));
        assertThat(topicRow.findElement(By.cssSelector("[data-testid=count-queued]")).getText()).isEqualTo("2");
        assertThat(topicRow.findElement(By.cssSelector("[data-testid=topic-oldest-queued]")).getText())
                .matches("\\d+(\\.\\d)? (s|min)");
        assertThat(topicRow.findElement(By.cssSelector("[data-testid=topic-lag]")).getText()).isEqualTo("—");
        assertThat(text("[data-testid=total-oldest-queued]")).isNotBlank();
        assertThat(text("[data-testid=storage]")).as("the status tables' size and the oldest task kept")
                .matches("(?s)Storage\\s+[\\d.]+ (B|kB|MB|GB) · oldest task .+");
        screenshot("dashboard-overview-backlog.png");

        open("/ui/#/tasks/" + older.id());
        wait(ExpectedConditions.textToBe(By.cssSelector("[data-testid=task-id]"), older.id().toString()));
        assertThat(text("[data-testid=field-status]")).isEqualTo("queued");
        assertThat(text("[data-testid=field-idempotencyKey]")).isEqualTo(older.idempotencyKey());
        assertThat(driver.findElements(By.cssSelector("[data-testid=retry]"))).isEmpty();
        driver.findElement(By.cssSelector("[data-testid=cancel]")).click();
        wait(ExpectedConditions.alertIsPresent()).accept();

        wait(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=action-message]"),
                "Cancelled."));
        wait(ExpectedConditions.textToBe(By.cssSelector("[data-testid=field-status]"), "cancelled"));
        List<WebElement> transitions = driver.findElements(By.cssSelector("[data-testid=transition]"));
        assertThat(transitions).hasSize(2);
        assertThat(transitions.get(0).getText()).contains("new", "queued", "accepted by the ingress");
        assertThat(transitions.get(1).getText()).contains("queued", "cancelled", "cancelled by operator");
        assertThat(driver.findElements(By.cssSelector("[data-testid=cancel]"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid=retry]"))).hasSize(1);
        screenshot("dashboard-detail-cancelled.png");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Opens a dashboard URL, entering the token when the page asks for it. */
    private static void open(String path) {
        driver.get(ingress.baseUri().resolve(path).toString());
        WebElement login = driver.findElement(By.cssSelector("[data-testid=login-form]"));
        wait(d -> login.isDisplayed() || !d.findElements(By.cssSelector("#view > section")).isEmpty());
        // The first API answer decides whether the form shows; give it that long.
        wait(d -> login.isDisplayed() || d.findElements(By.cssSelector("#view .loading")).isEmpty());
        if (login.isDisplayed()) {
            login.findElement(By.cssSelector("[data-testid=token-input]")).sendKeys(TOKEN);
            login.findElement(By.cssSelector("[data-testid=token-submit]")).click();
        }
    }

    private static <T> T wait(java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT).until(condition);
    }

    private static String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    /** A full-page screenshot: the window is made as tall as the page first. */
    private static void screenshot(String name) throws IOException {
        Object height = ((JavascriptExecutor) driver).executeScript(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)");
        Dimension before = driver.manage().window().getSize();
        long wanted = Math.min(4000, ((Number) height).longValue());
        driver.manage().window().setSize(new Dimension(1280, (int) wanted + 200));
        try {
            try {
                new WebDriverWait(driver, Duration.ofSeconds(3)).until(d -> ((Number) ((JavascriptExecutor) d)
                        .executeScript("return window.innerHeight")).longValue() >= wanted);
            } catch (org.openqa.selenium.TimeoutException e) {
                // A window that cannot grow that far still gives a useful (scrolled) picture.
            }
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(ingress.baseUri() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A task that ran once and failed, written as the worker writes it. */
    private static UUID failedTask(String topic, String payload, String output) {
        Instant started = Instant.now().minusSeconds(90);
        Task task = Task.builder().topic(topic).type("order.charge").payload(payload, "application/json")
                .createdAt(started.minusSeconds(30)).attempt(1).build();
        NextStatus failed = NextStatus.of(Outcome.of(TaskResult.fail(output)), 1, 0, RetryPolicy.defaults(), 0.5);
        store.apply(List.of(StatusChange.finished(task, "payments-extension", null, false, started,
                started.plusMillis(420), failed, "{\"type\": \"fail\", \"reason\": \"card declined\"}", null)));
        return task.id();
    }

    private static void doneTask(String topic) {
        Instant started = Instant.now().minusSeconds(20);
        Task task = Task.builder().topic(topic).type("payment.capture").payload("{}", "application/json")
                .createdAt(started.minusSeconds(1)).attempt(1).build();
        NextStatus done = NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5);
        store.apply(List.of(StatusChange.finished(task, "payments-extension", null, false, started,
                started.plusMillis(35), done, null, null)));
    }
}
