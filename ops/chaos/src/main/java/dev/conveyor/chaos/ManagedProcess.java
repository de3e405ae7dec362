package dev.conveyor.chaos;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One OS process the suite started and may kill and start again: its command, environment and a
 * log file that every incarnation appends to (standard output and error), with a marker line per
 * start. Signals go to the PID of the incarnation the suite started, never to a process found by name.
 */
final class ManagedProcess {

    private final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path workDir;
    private final Path log;
    private final String readyText;
    private volatile Process process;
    private volatile long logOffsetAtStart;
    private int incarnation;

    ManagedProcess(String name, List<String> command, Map<String, String> env, Path workDir, String readyText) {
        this.name = name;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.workDir = workDir;
        this.log = workDir.resolve("logs").resolve(name + ".log");
        this.readyText = readyText;
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        Files.createDirectories(log.getParent());
        incarnation++;
        Files.writeString(log, "==== chaos: start #" + incarnation + " of " + name + " at " + Instant.now() + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        logOffsetAtStart = Files.size(log);
        ProcessBuilder b = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putAll(env);
        process = b.start();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Exit code of the last incarnation, or null while it runs (or never ran). */
    Integer exitCode() {
        Process p = process;
        return p == null || p.isAlive() ? null : p.exitValue();
    }

    boolean started() {
        return process != null;
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    /** SIGKILL to the current incarnation; returns its PID (or -1 when it was not running). */
    long kill9() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return -1;
        }
        p.destroyForcibly(); // SIGKILL on Linux
        return p.pid();
    }

    /** SIGTERM to the current incarnation; returns its PID (or -1 when it was not running). */
    long term() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return -1;
        }
        p.destroy(); // SIGTERM on Linux
        return p.pid();
    }

    /** Sends {@code signal} (e.g. QUIT) with kill(1) to the current incarnation's PID. */
    long signal(String signal) throws IOException, InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return -1;
        }
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        return p.pid();
    }

    /** Waits for the current incarnation to end; false if it still runs after {@code timeout}. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        Process p = process;
        return p == null || p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the current incarnation logged the ready text; fails with the log's tail if it died or timed out. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (logSinceStart().contains(readyText)) {
                return;
            }
            if (!alive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready; "
                        + "see " + log + ":\n" + tail());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " not ready within " + timeout.toSeconds() + " s (waiting for '"
                + readyText + "'); see " + log + ":\n" + tail());
    }

    /** Whether the current incarnation runs and has logged its ready text. */
    boolean ready() {
        try {
            return alive() && logSinceStart().contains(readyText);
        } catch (IOException e) {
            return false;
        }
    }

    private String logSinceStart() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long from = Math.min(logOffsetAtStart, f.length());
            byte[] bytes = new byte[(int) Math.min(f.length() - from, 4 << 20)];
            f.seek(from);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    String tail() throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** Last resort at the end of a run: SIGTERM, then SIGKILL after {@code grace}. */
    void stop(Duration grace) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
