package dev.conveyor.chaos.extension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * One line per execution of the suite's extensions, appended to {@code exec-<pid>.log} in the
 * directory named by {@value #DIR_ENV}: written with one unbuffered {@code write(2)} per line when
 * the execution starts (and a second line when the extension returns), so a SIGKILL loses nothing
 * that was already written. The suite counts executions from these files, never from metrics.
 *
 * <p>Line format (tab-separated): {@code phase task-id attempt pid epoch-millis mode ref}, phase
 * {@code start} or {@code end}.
 */
public final class ExecutionLog {

    /** Environment variable naming the directory of the execution logs; unset = no log. */
    public static final String DIR_ENV = "CONVEYOR_CHAOS_EXEC_DIR";

    private static final long PID = ProcessHandle.current().pid();
    private static final ExecutionLog INSTANCE = open();

    private final FileChannel channel;

    private ExecutionLog(FileChannel channel) {
        this.channel = channel;
    }

    private static ExecutionLog open() {
        String dir = System.getenv(DIR_ENV);
        if (dir == null || dir.isBlank()) {
            return new ExecutionLog(null);
        }
        try {
            Path file = Path.of(dir).resolve("exec-" + PID + ".log");
            Files.createDirectories(file.getParent());
            return new ExecutionLog(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the chaos execution log in " + dir, e);
        }
    }

    static void start(UUID task, int attempt, String mode, String ref) {
        INSTANCE.write("start", task, attempt, mode, ref);
    }

    static void end(UUID task, int attempt, String mode, String ref) {
        INSTANCE.write("end", task, attempt, mode, ref);
    }

    private void write(String phase, UUID task, int attempt, String mode, String ref) {
        if (channel == null) {
            return;
        }
        String line = phase + '\t' + task + '\t' + attempt + '\t' + PID + '\t' + System.currentTimeMillis() + '\t' + mode
                + '\t' + ref + '\n';
        ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        synchronized (this) {
            try {
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            } catch (IOException e) {
                // Throwing makes the execution fail and be retried: better than an execution the count misses.
                throw new UncheckedIOException("cannot append to the chaos execution log", e);
            }
        }
    }
}
