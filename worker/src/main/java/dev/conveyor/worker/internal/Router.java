package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.TaskState;
import java.time.Instant;
import java.util.Map;

/**
 * The route and dead-letter decision for one claimed record, once its stored state is read: run it
 * (as which execution), drop it (its attempt is stale or already recorded) or dead-letter it. A
 * pure decision: {@link Dispatcher} carries it out.
 */
final class Router {

    /** What to do with a record. */
    sealed interface Decision {
        /** Send it to the dead-letter topic; write {@code dead} if not null. */
        record DeadLetter(String reason, StatusChange dead) implements Decision {}

        /** A later attempt of the task holds the claim: drop this copy. */
        record Stale(String why) implements Decision {}

        /** The stored state already has this attempt's outcome (or a later one): end the claim, drop it. */
        record Recorded(String why) implements Decision {}

        /** Run it. */
        record Run(Execution execution) implements Decision {}
    }

    private final Map<String, Route> routes;
    private final ExtensionConfigCache configs;

    Router(Map<String, Route> routes, ExtensionConfigCache configs) {
        this.routes = routes;
        this.configs = configs;
    }

    /** The route of {@code topic}, or null when no extension handles it. */
    Route route(String topic) {
        return routes.get(topic);
    }

    /** The decision for {@code p}; {@code stored} is its task's row (or null), {@code claims} this worker's. */
    Decision decide(Polled p, TaskState stored, AttemptClaims<?> claims, Instant now) {
        return switch (p.decoded()) {
            case Decoded.Poison poison -> new Decision.DeadLetter(poison.reason(), poison.taskId() == null ? null
                    : StatusChange.deadRecord(poison.taskId(), p.record().topic(), p.record().value(), now,
                            poison.reason()));
            case Decoded.Ok ok -> decide(p, ok.task(), stored, claims, now);
        };
    }

    private Decision decide(Polled p, Task task, TaskState stored, AttemptClaims<?> claims, Instant now) {
        Route route = routes.get(task.topic());
        if (route == null) {
            String reason = "no extension handles topic " + task.topic();
            return new Decision.DeadLetter(reason, StatusChange.dead(task, null, stored, now, reason));
        }
        if (!claims.holds(task.id(), task.attempt())) {
            // A later attempt of the task was polled while this record was held: this one is stale.
            return new Decision.Stale("attempt " + claims.claimedAttempt(task.id()) + " of the task arrived meanwhile");
        }
        if (stored != null && stored.supersedes(task.attempt())) {
            return new Decision.Recorded("stored " + stored.status().wireName() + " at attempt " + stored.attempt());
        }
        return new Decision.Run(new Execution(p.partition(), p.offsets(), p.offset(), p.readyMs(),
                task.withConfig(configs.get(route.extension().name())), route, stored));
    }
}
