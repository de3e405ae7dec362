package dev.conveyor.ops;

import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.worker.retention.PruneReport;
import dev.conveyor.worker.retention.Pruner;
import dev.conveyor.worker.retention.RetentionConfig;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor prune [--dry-run]}: one retention pass now, with the {@code retention:} settings,
 * straight on the database ({@code db.*}), as the scheduler role's pruner runs every 30 s.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Delete the finished tasks and outbox rows older than the retention: settings now "
                + "(the scheduler role does this every 30 s). --dry-run prints what would go.")
final class PruneCommand implements Callable<Integer> {

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Option(names = "--dry-run", description = "Count what the pass would delete; delete nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        ConveyorConfig c = config.load();
        RetentionConfig retention = c.retention();
        try (Database db = Database.open(c.db(), "prune")) {
            PruneReport report = Pruner.once(retention, db.dsl(), Clock.systemUTC(), dryRun);
            print(report, retention, dryRun, System.out);
            return report.ran() ? 0 : 3;
        }
    }

    /** 7d, 36h, 15m, 90s: the largest unit that divides the age. */
    static String human(java.time.Duration d) {
        long s = d.toSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    static void print(PruneReport r, RetentionConfig retention, boolean dry, PrintStream out) {
        if (!r.ran()) {
            out.println("conveyor prune: another pruner (a scheduler) is running its pass right now; try again shortly");
            return;
        }
        String verb = dry ? "would delete" : "deleted";
        out.printf("conveyor prune: %s %d finished task(s), %d outbox row(s) and %d idempotency key(s); "
                + "%d old task row(s) examined%n", verb, r.tasksTotal(), r.outboxRows(), r.idempotencyKeys(), r.scanned());
        if (!r.tasks().isEmpty()) {
            out.printf("%-30s %-10s %10s  %s%n", "TOPIC", "STATUS", "TASKS", "KEPT FOR");
            for (Map.Entry<String, Map<TaskStatus, Long>> t : r.tasks().entrySet()) {
                t.getValue().forEach((status, n) -> out.printf("%-30s %-10s %10d  %s%n", t.getKey(), status.wireName(), n,
                        human(retention.age(t.getKey(), status))));
            }
        }
        if (r.leanDone() > 0) {
            out.printf("lean topics: %s %d lean_done row(s) (first-run successes, kept %s)%n", verb, r.leanDone(),
                    "1h at most");
        }
        PruneReport.History h = r.history();
        if (h.problem() != null) {
            out.println("history partitions: not maintained this pass: " + h.problem());
        }
        if (!h.created().isEmpty()) {
            out.printf("history partitions: %s %s (%s each)%n", dry ? "would create" : "created",
                    String.join(", ", h.created()), human(retention.historyPartition()));
        }
        h.dropped().forEach((name, rows) -> out.printf("history partitions: %s %s (~%d transitions)%n",
                dry ? "would drop" : "dropped", name, rows));
        if (!dry && h.keptTransitionsMoved() > 0) {
            out.printf("history partitions: %d transition(s) of tasks still kept moved to task_transitions_default%n",
                    h.keptTransitionsMoved());
        }
    }
}
