package dev.conveyor.ops;

import dev.conveyor.migrations.Migrations;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.store.db.Database;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** One role per process, against external Kafka and PostgreSQL from the configuration. */
final class RoleCommands {

    private static final Logger log = LoggerFactory.getLogger(RoleCommands.class);

    private RoleCommands() {}

    /** Runs {@code start} until the process is asked to stop (Ctrl-C, SIGTERM), then closes the node. */
    static int runUntilStopped(String role, ConveyorConfig config, java.util.function.Consumer<Node> start) {
        log.info("Starting {} with configuration {}", role, config.describe());
        Node node = new Node();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping {}...", role);
            node.close();
            stopped.countDown();
        }, "conveyor-shutdown"));
        try {
            start.accept(node);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    @Command(name = "ingress", mixinStandardHelpOptions = true,
            description = "Run the HTTP ingress against the configured Kafka and PostgreSQL.")
    static final class Ingress implements Callable<Integer> {
        @Mixin
        Main.ConfigOption config = new Main.ConfigOption();

        @Override
        public Integer call() {
            ConveyorConfig c = config.load();
            return runUntilStopped("ingress", c, node -> {
                // Until PostgreSQL and Kafka answer, only the health endpoints are served (not ready).
                ManagementServer waiting = node.management(c, "ingress");
                if (!node.awaitDependencies(c, c.db(), true)) {
                    return;
                }
                waiting.close();
                node.database(c, c.db());
                node.ingress(c, Set.of());
                node.started();
            });
        }
    }

    @Command(name = "worker", mixinStandardHelpOptions = true,
            description = "Run a worker: the extensions on the classpath and in --extensions DIR.")
    static final class WorkerRole implements Callable<Integer> {
        @Mixin
        Main.ConfigOption config = new Main.ConfigOption();

        @Option(names = "--extensions", paramLabel = "DIR", defaultValue = "extensions",
                description = "Directory of extension jars (default: ${DEFAULT-VALUE}).")
        Path extensions;

        @Option(names = "--examples", description = "Also run the bundled example extensions (orders, quotes, "
                + "nightly-report), as conveyor dev does.")
        boolean examples;

        @Override
        public Integer call() {
            ConveyorConfig c = config.load();
            return runUntilStopped("worker", c, node -> {
                node.management(c, "worker"); // not ready until the worker runs
                if (!node.awaitDependencies(c, c.db(), true)) {
                    return;
                }
                node.database(c, c.db());
                node.extensions(extensions, examples);
                node.worker(c);
                node.started();
            });
        }
    }

    @Command(name = "scheduler", mixinStandardHelpOptions = true,
            description = "Run a scheduler: countdown redelivery, future-dated events, recurring schedules.")
    static final class SchedulerRole implements Callable<Integer> {
        @Mixin
        Main.ConfigOption config = new Main.ConfigOption();

        @Override
        public Integer call() {
            ConveyorConfig c = config.load();
            return runUntilStopped("scheduler", c, node -> {
                node.management(c, "scheduler"); // not ready until the scheduler runs
                if (!node.awaitDependencies(c, c.db(), true)) {
                    return;
                }
                node.database(c, c.db());
                node.scheduler(c, List.of());
                node.started();
            });
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Apply the database migrations and exit.")
    static final class Migrate implements Callable<Integer> {
        @Mixin
        Main.ConfigOption config = new Main.ConfigOption();

        @Override
        public Integer call() {
            ConveyorConfig c = config.load();
            try (Database db = Database.open(c.db(), "migrate")) {
                int applied = Migrations.migrate(db.dataSource(), c.db().schema());
                System.out.println("conveyor migrate: " + applied + " migration(s) applied to " + c.db().url()
                        + " schema " + c.db().schema());
            }
            return 0;
        }
    }
}
