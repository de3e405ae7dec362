package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LogFormatTest {

    @Test
    void jsonFormatWritesOneObjectPerLineWithTheTaskFromTheMdc() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            LogFormat.apply("json");
            MDC.put("task_id", "0190a0c2-0000-7000-8000-000000000001");
            MDC.put("trace_id", "trace-1");
            LoggerFactory.getLogger("dev.conveyor.test").info("hello {}", "there");
        } finally {
            MDC.clear();
            System.setOut(out);
            restoreTextFormat(context);
        }
        String line = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("hello there"))
                .findFirst().orElseThrow(() -> new AssertionError("no log line in: " + captured));
        JsonNode json = Json.parse(line.getBytes(StandardCharsets.UTF_8));
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("loggerName").asText()).isEqualTo("dev.conveyor.test");
        assertThat(json.path("formattedMessage").asText()).isEqualTo("hello there");
        assertThat(json.path("mdc").path("task_id").asText()).isEqualTo("0190a0c2-0000-7000-8000-000000000001");
        assertThat(json.path("mdc").path("trace_id").asText()).isEqualTo("trace-1");
    }

    @Test
    void textFormatChangesNothing() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LogFormat.apply("text");
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(a -> {
            if (a instanceof ConsoleAppender<ILoggingEvent> console) {
                assertThat(console.getEncoder()).isInstanceOf(PatternLayoutEncoder.class);
            }
        });
    }

    private static void restoreTextFormat(LoggerContext context) {
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(a -> {
            if (a instanceof ConsoleAppender<ILoggingEvent> console) {
                PatternLayoutEncoder text = new PatternLayoutEncoder();
                text.setContext(context);
                text.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n");
                text.start();
                console.stop();
                console.setEncoder(text);
                console.start();
            }
        });
    }
}
