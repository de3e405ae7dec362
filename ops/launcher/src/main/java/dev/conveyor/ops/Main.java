package dev.conveyor.ops;

import dev.conveyor.ops.cli.StatsCommand;
import dev.conveyor.ops.cli.TasksCommand;
import dev.conveyor.ops.config.ConfigException;
import dev.conveyor.ops.config.ConveyorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code conveyor} command (SPEC §6). */
@Command(name = "conveyor", mixinStandardHelpOptions = true, version = "conveyor 0.1.0-SNAPSHOT",
        description = "Kafka-backed background task processor with PostgreSQL status tables.",
        subcommands = {DevCommand.class, RoleCommands.Ingress.class, RoleCommands.WorkerRole.class,
                RoleCommands.SchedulerRole.class, RoleCommands.Migrate.class, PruneCommand.class, PublishCommand.class,
                TasksCommand.class, StatsCommand.class, dev.conveyor.ops.cli.DlqCommand.class, BenchCommand.class,
                NewCommand.class})
public final class Main implements Callable<Integer> {

    /** Options every command takes. */
    public static final class ConfigOption {
        @Option(names = "--config", paramLabel = "FILE",
                description = "Configuration file (default: ./conveyor.yaml when present). CONVEYOR_* variables override it.")
        Path file;

        public ConveyorConfig load() {
            Path f = file;
            if (f == null && Files.exists(Path.of("conveyor.yaml"))) {
                f = Path.of("conveyor.yaml");
            }
            if (f != null && !Files.exists(f)) {
                throw new ConfigException("--config", f + " does not exist");
            }
            ConveyorConfig config = ConveyorConfig.load(f, System.getenv());
            LogFormat.apply(config.logFormat());
            return config;
        }
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    public static void main(String[] args) {
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof ConfigException) {
                        cmd.getErr().println("conveyor: invalid configuration: " + e.getMessage());
                        return 2;
                    }
                    cmd.getErr().println("conveyor: " + e.getMessage());
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }
}
