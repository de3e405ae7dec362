package dev.conveyor.ops.cli;

import dev.conveyor.schema.kafka.ConveyorTopics;
import dev.conveyor.ops.Main;
import dev.conveyor.ops.config.ConfigException;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code conveyor dlq list|replay}: the dead-letter topic ({@code <kafka.topic-prefix>dlq}) read
 * straight from Kafka, and chosen records produced again to the topic they came from.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "Inspect the dead-letter topic and replay records to their original topic, straight from Kafka.",
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.ReplayDeadLetters.class},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.HELP_0, DlqCommand.HELP_1, ExitCodes.HELP_2, DlqCommand.HELP_3, DlqCommand.HELP_4,
                DlqCommand.HELP_5})
public final class DlqCommand implements Runnable {

    static final String HELP_1 = "1:unexpected or internal error";
    static final String HELP_3 = "3:a requested --dlq-offset or --id is not in the DLQ (nothing was replayed)";
    static final String HELP_4 = "4:a record was not replayed: no conveyor_dlq_topic header, or its task is no longer dead";
    static final String HELP_5 = "5:Kafka (or, for replay, PostgreSQL) unreachable, timed out or failing";

    /** Rows {@code list} prints unless {@code --limit} says otherwise. */
    static final int DEFAULT_LIMIT = 100;
    /** Width of the REASON column. */
    static final int REASON_WIDTH = 60;
    /** How long a Kafka call (or the whole read) may take before Kafka counts as unavailable. */
    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

    /** The time relative {@code --since} values count back from (tests set it). */
    static volatile Clock clock = Clock.systemUTC();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: list or replay");
    }

    /** A failure that ends the command with {@code exitCode}; the message goes to stderr after {@code conveyor: }. */
    static final class DlqException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        DlqException(int exitCode, String message, Throwable cause) {
            super(message, cause, false, false);
            this.exitCode = exitCode;
        }
    }

    /** The options and the error handling both subcommands share. */
    abstract static class DlqSubcommand implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        Main.ConfigOption config = new Main.ConfigOption();

        @Option(names = "--topic", paramLabel = "T", description = "Only records dead-lettered from this topic (exact).")
        String topic;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only records dead-lettered at or after TIME: RFC 3339 (2026-11-22T19:00:00Z) or an age "
                        + "(30s, 15m, 2h, 7d, 1w).")
        String since;

        final TaskRecordCodec codec = new TaskRecordCodec();

        @Override
        public final Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                Instant from = sinceInstant();
                ConveyorConfig c = config.load();
                return run(c, from, out, err);
            } catch (DlqException e) {
                err.println("conveyor: " + e.getMessage());
                return e.exitCode;
            } catch (ConfigException e) {
                err.println("conveyor: invalid configuration: " + e.getMessage());
                return ExitCodes.USAGE;
            } catch (KafkaException e) {
                err.println("conveyor: kafka: " + e.getMessage());
                return ExitCodes.UNAVAILABLE;
            } finally {
                out.flush();
                err.flush();
            }
        }

        abstract int run(ConveyorConfig config, Instant since, PrintWriter out, PrintWriter err);

        Instant sinceInstant() {
            try {
                String s = TaskQuery.instant(since, "--since", clock);
                return s == null ? null : Instant.parse(s);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        /** The filter of {@code --topic}. */
        Predicate<DeadLetter> topicFilter() {
            return d -> topic == null || topic.equals(d.originalTopic());
        }

        /** Reads the DLQ of {@code config} with {@code filter}. */
        List<DeadLetter> read(ConveyorConfig config, Instant from, Predicate<DeadLetter> filter) {
            String dlq = new ConveyorTopics(config.topicPrefix()).dlq();
            Map<String, Object> overrides = new LinkedHashMap<>(config.kafkaClient());
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                    KafkaClients.consumer(config.bootstrap(), null, "conveyor-dlq-cli", overrides))) {
                return new DeadLetterReader(consumer, KAFKA_TIMEOUT).read(dlq, from, filter);
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                throw new DlqException(ExitCodes.UNAVAILABLE, "kafka: cannot read " + dlq + " at " + config.bootstrap()
                        + " (" + e.getMessage() + "); is Kafka running there? (kafka.bootstrap, CONVEYOR_KAFKA_BOOTSTRAP)",
                        e);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Dead letters, oldest first: where each sits in the DLQ (P:O, what replay takes), when it "
                    + "was dead-lettered, the original topic-partition@offset, the task id (ce_id) and the reason.",
                    "Reads <kafka.topic-prefix>dlq directly (no consumer group, nothing committed) up to its end "
                            + "when the command started.",
                    "Example: conveyor dlq list --topic orders --since 2h"},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, HELP_1, ExitCodes.HELP_2, HELP_5})
    static final class ListDeadLetters extends DlqSubcommand {

        @Option(names = "--id", paramLabel = "ID",
                description = "Only records of this task: the exact ce_id, or the task id Conveyor derives.")
        String id;

        @Option(names = "--limit", paramLabel = "N",
                description = "Print at most the newest N matching records (default: " + DEFAULT_LIMIT + ").")
        Integer limit;

        @Option(names = "--json", description = "One JSON object per record and line: coordinates, origin, reason, "
                + "headers, key and value (text when UTF-8, else valueBase64).")
        boolean json;

        @Override
        int run(ConveyorConfig config, Instant from, PrintWriter out, PrintWriter err) {
            int max = limit == null ? DEFAULT_LIMIT : limit;
            if (max < 1) {
                throw new ParameterException(spec.commandLine(), "--limit must be at least 1, was " + max);
            }
            Predicate<DeadLetter> filter = topicFilter();
            if (id != null) {
                filter = filter.and(d -> d.hasId(id, codec));
            }
            List<DeadLetter> all = read(config, from, filter);
            List<DeadLetter> shown = all.size() <= max ? all : all.subList(all.size() - max, all.size());
            if (json) {
                shown.forEach(d -> out.println(d.toJson().toString()));
                return ExitCodes.OK;
            }
            if (all.isEmpty()) {
                out.println("No dead letters match.");
                return ExitCodes.OK;
            }
            out.print(table(shown));
            out.println(shown.size() == all.size() ? count(all.size()) + "."
                    : "The newest " + shown.size() + " of " + count(all.size())
                            + "; narrow with --since/--topic/--id or raise --limit.");
            return ExitCodes.OK;
        }
    }

    /** The list as a table, one record a line. */
    static String table(List<DeadLetter> letters) {
        Table table = new Table("DLQ", "TIME", "ORIGIN", "ID", "REASON").maxWidth(4, REASON_WIDTH);
        for (DeadLetter d : letters) {
            table.row(d.coordinates(), TaskViews.time(d.time().toString()), d.origin(), d.eventId(), d.reason());
        }
        return table.render();
    }

    static String count(int n) {
        return n == 1 ? "1 dead letter" : n + " dead letters";
    }

    /** Which records {@code replay} takes: exactly one of these. */
    static final class Selection {
        @Option(names = "--all", required = true,
                description = "Every record in the DLQ (narrowed by --topic and --since).")
        boolean all;

        @Option(names = "--dlq-offset", paramLabel = "P:O", split = ",", required = true,
                description = "The records at these DLQ partition:offset coordinates (as list prints them); "
                        + "comma-separated or repeated.")
        List<String> offsets;

        @Option(names = "--id", paramLabel = "ID", split = ",", required = true,
                description = "The records of these tasks (exact ce_id, or the task id Conveyor derives); "
                        + "comma-separated or repeated. The newest record of each task is replayed.")
        List<String> ids;
    }

    /** A {@code --dlq-offset} value. */
    record Coordinates(int partition, long offset) {
        static Coordinates parse(String text) {
            String t = text.trim();
            int colon = t.indexOf(':');
            try {
                if (colon > 0) {
                    Coordinates c = new Coordinates(Integer.parseInt(t.substring(0, colon)),
                            Long.parseLong(t.substring(colon + 1)));
                    if (c.partition >= 0 && c.offset >= 0) {
                        return c;
                    }
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--dlq-offset must be PARTITION:OFFSET (as dlq list prints it, "
                    + "e.g. 0:42), was '" + text + "'");
        }

        boolean matches(DeadLetter d) {
            return d.partition() == partition && d.offset() == offset;
        }

        @Override
        public String toString() {
            return partition + ":" + offset;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Produce dead letters again to their original topic (conveyor_dlq_topic) with their "
                    + "original key, value and headers, minus the conveyor_dlq_* ones; waits for every ack "
                    + "(acks=all, idempotent producer) and prints one line per record.",
                    "Replay is for records whose cause was fixed: an extension now owns the topic, a consumer "
                            + "decoder bug was fixed. A record that is still poison goes straight back to the DLQ.",
                    "A task the worker marked dead (its CloudEvent id is known) is queued again at its next attempt "
                            + "first, as `tasks retry` does, and the record carries that conveyor_attempt; so "
                            + "replay needs the database of the configuration (db.url). A task that is no longer "
                            + "dead is not replayed (exit code 4). A plain record (no ce_id) gets a new task id: "
                            + "its id derives from its topic, partition and offset.",
                    "Examples:",
                    "  conveyor dlq replay --id 0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d10",
                    "  conveyor dlq replay --all --topic orders --since 1d --dry-run"},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.HELP_0, HELP_1, ExitCodes.HELP_2, HELP_3, HELP_4, HELP_5})
    static final class ReplayDeadLetters extends DlqSubcommand {

        @ArgGroup(exclusive = true, multiplicity = "1")
        Selection selection;

        @Option(names = "--dry-run", description = "Print what would be replayed; produce nothing, change nothing.")
        boolean dryRun;

        @Override
        int run(ConveyorConfig config, Instant from, PrintWriter out, PrintWriter err) {
            List<Coordinates> wanted = coordinates();
            Predicate<DeadLetter> filter = topicFilter();
            if (!wanted.isEmpty()) {
                filter = filter.and(d -> wanted.stream().anyMatch(c -> c.matches(d)));
            } else if (selection.ids != null) {
                filter = filter.and(d -> selection.ids.stream().anyMatch(i -> d.hasId(i.trim(), codec)));
            }
            List<DeadLetter> found = read(config, from, filter);
            List<String> missing = missing(wanted, found);
            if (!missing.isEmpty()) {
                throw new DlqException(ExitCodes.NOT_FOUND, "not in the DLQ" + (topic != null || since != null
                        ? " (with --topic/--since)" : "") + ": " + String.join(", ", missing) + "; nothing replayed", null);
            }
            List<DeadLetter> chosen = newestPerTask(found, out);
            if (chosen.isEmpty()) {
                out.println("No dead letters match; nothing replayed.");
                return ExitCodes.OK;
            }
            return dryRun ? dryRun(chosen, out) : replay(config, chosen, out, err);
        }

        private List<Coordinates> coordinates() {
            if (selection.offsets == null) {
                return List.of();
            }
            try {
                return selection.offsets.stream().map(Coordinates::parse).toList();
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        /** The requested coordinates and ids no record matched. */
        private List<String> missing(List<Coordinates> wanted, List<DeadLetter> found) {
            List<String> missing = new ArrayList<>();
            for (Coordinates c : wanted) {
                if (found.stream().noneMatch(c::matches)) {
                    missing.add(c.toString());
                }
            }
            if (selection.ids != null) {
                for (String i : selection.ids) {
                    if (found.stream().noneMatch(d -> d.hasId(i.trim(), codec))) {
                        missing.add(i.trim());
                    }
                }
            }
            return missing;
        }

        /**
         * One record per task: the DLQ may hold several copies of a task's record (dead-lettered
         * again after a replay, or a retried produce); only the newest is replayed.
         */
        private List<DeadLetter> newestPerTask(List<DeadLetter> found, PrintWriter out) {
            Map<UUID, DeadLetter> newest = new LinkedHashMap<>();
            for (DeadLetter d : found) {
                if (d.hasStableTaskId(codec)) {
                    newest.put(d.taskId(codec).orElseThrow(), d); // found is oldest first
                }
            }
            Set<DeadLetter> keep = new LinkedHashSet<>();
            for (DeadLetter d : found) {
                Optional<UUID> id = d.hasStableTaskId(codec) ? d.taskId(codec) : Optional.empty();
                if (id.isEmpty() || newest.get(id.get()) == d) {
                    keep.add(d);
                } else {
                    out.println("skipped " + d.coordinates() + ": an older copy of task " + id.get() + " (newest at "
                            + newest.get(id.get()).coordinates() + ")");
                }
            }
            return List.copyOf(keep);
        }

        private int dryRun(List<DeadLetter> chosen, PrintWriter out) {
            int refused = 0;
            for (DeadLetter d : chosen) {
                if (d.originalTopic() == null) {
                    out.println("refused " + d.coordinates() + ": " + noTopic(d));
                    refused++;
                    continue;
                }
                out.println("would replay " + d.coordinates() + " -> " + d.originalTopic() + describe(d));
            }
            int n = chosen.size() - refused;
            out.println("Dry run: " + count(n) + " would be replayed" + (refused > 0 ? ", " + refused + " refused" : "")
                    + "; nothing produced.");
            return refused > 0 ? ExitCodes.CONFLICT : ExitCodes.OK;
        }

        private String describe(DeadLetter d) {
            Optional<UUID> id = d.taskId(codec);
            if (id.isEmpty()) {
                return "";
            }
            return d.hasStableTaskId(codec) ? " (task " + id.get() + ")" : " (plain record: replayed as a new task)";
        }

        private int replay(ConveyorConfig config, List<DeadLetter> chosen, PrintWriter out, PrintWriter err) {
            int replayed = 0;
            int refused = 0;
            int failed = 0;
            Map<String, Object> props = new LinkedHashMap<>();
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            props.putAll(config.kafkaClient());
            Database database = null;
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                    KafkaClients.producer(config.bootstrap(), "conveyor-dlq-replay", props))) {
                for (DeadLetter d : chosen) {
                    if (d.originalTopic() == null) {
                        err.println("conveyor: refused " + d.coordinates() + ": " + noTopic(d));
                        refused++;
                        continue;
                    }
                    ProducerRecord<byte[], byte[]> record = d.replay();
                    Instant now = clock.instant();
                    UUID id = d.hasStableTaskId(codec) ? d.taskId(codec).orElseThrow() : null;
                    try {
                        if (id == null) {
                            // A plain record: its task id comes from its coordinates, so it becomes a new task.
                            RecordMetadata m = send(producer, record);
                            replayed++;
                            out.println("replayed " + d.coordinates() + " -> " + where(m) + describe(d));
                            continue;
                        }
                        if (database == null) {
                            database = openDatabase(config);
                        }
                        // A dead task is queued again at its next attempt before its record is produced
                        // (a worker decides from the committed row), as `tasks retry` does; the record
                        // then carries that attempt. If Kafka refuses it, the row is put back.
                        RecordMetadata[] sent = new RecordMetadata[1];
                        StatusStore.Retry result = retry(new JooqStatusStore(database.dsl(), "cli"), id,
                                "replayed from the DLQ (" + d.coordinates() + ")", now, task -> {
                                    record.headers().remove(ConveyorHeaders.ATTEMPT);
                                    record.headers().add(ConveyorHeaders.ATTEMPT,
                                            Integer.toString(task.attempt()).getBytes(StandardCharsets.UTF_8));
                                    sent[0] = send(producer, record);
                                });
                        switch (result) {
                            case StatusStore.Retry.Refused r -> {
                                err.println("conveyor: refused " + d.coordinates() + ": task " + id + " is "
                                        + r.status().wireName() + "; only dead (or failed, skipped, cancelled) tasks "
                                        + "are replayed");
                                refused++;
                            }
                            case StatusStore.Retry.NotFound n -> {
                                RecordMetadata m = send(producer, record);
                                replayed++;
                                out.println("replayed " + d.coordinates() + " -> " + where(m) + describe(d));
                            }
                            case StatusStore.Retry.Retried r -> {
                                replayed++;
                                out.println("replayed " + d.coordinates() + " -> " + where(sent[0]) + describe(d)
                                        + ", queued at attempt " + r.task().attempt());
                            }
                        }
                    } catch (ReplayFailed e) {
                        failed++;
                        err.println("conveyor: failed " + d.coordinates() + ": kafka: " + e.getMessage());
                    }
                }
            } finally {
                if (database != null) {
                    database.close();
                }
            }
            out.println("Replayed " + replayed + " of " + count(chosen.size())
                    + (refused > 0 ? ", " + refused + " refused" : "") + (failed > 0 ? ", " + failed + " failed" : "")
                    + ".");
            return failed > 0 ? ExitCodes.UNAVAILABLE : refused > 0 ? ExitCodes.CONFLICT : ExitCodes.OK;
        }

        private static StatusStore.Retry retry(JooqStatusStore store, UUID id, String reason, Instant now,
                java.util.function.Consumer<dev.conveyor.schema.Task> deliver) {
            try {
                return store.retry(id, reason, now, deliver);
            } catch (org.jooq.exception.DataAccessException e) {
                throw new DlqException(ExitCodes.UNAVAILABLE, "database: cannot queue task " + id + " again: "
                        + e.getMessage(), e);
            }
        }

        /** Produces and waits for the acknowledgement. */
        private static RecordMetadata send(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> record) {
            try {
                return producer.send(record).get();
            } catch (ExecutionException e) {
                throw new ReplayFailed(e.getCause().getMessage(), e.getCause());
            } catch (KafkaException e) {
                throw new ReplayFailed(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DlqException(ExitCodes.INTERNAL, "interrupted while replaying", e);
            }
        }

        private static String where(RecordMetadata m) {
            return m.topic() + "-" + m.partition() + "@" + m.offset();
        }

        /** Kafka did not take a replayed record. */
        private static final class ReplayFailed extends RuntimeException {
            private static final long serialVersionUID = 1L;

            ReplayFailed(String message, Throwable cause) {
                super(message, cause);
            }
        }

        private static Database openDatabase(ConveyorConfig config) {
            DbConfig db = config.db();
            try {
                return Database.open(new DbConfig(db.url(), db.user(), db.password(), 2, db.schema()), "conveyor-dlq");
            } catch (IllegalStateException e) {
                throw new DlqException(ExitCodes.UNAVAILABLE, "database: " + e.getMessage()
                        + " (replay queues dead tasks again before producing; db.url, CONVEYOR_DB_URL)", e);
            }
        }

        private static String noTopic(DeadLetter d) {
            return "no conveyor_dlq_topic header, so its original topic is unknown; produce it to the right topic "
                    + "by hand (dlq list --json shows key, value and headers)";
        }
    }
}
