package dev.conveyor.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** The suite's own log: one line per step and per fault, with wall-clock time, to stderr and {@code chaos.log}. */
final class Log {

    private final Path file;

    Log(Path runDir) {
        this.file = runDir.resolve("chaos.log");
    }

    synchronized void info(String message) {
        String line = "chaos " + Instant.now() + " " + message;
        System.err.println(line);
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // stderr has it.
        }
    }
}
