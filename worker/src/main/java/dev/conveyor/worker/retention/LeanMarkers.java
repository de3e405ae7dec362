package dev.conveyor.worker.retention;

import dev.conveyor.schema.TaskStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deletes the {@code lean_done} rows of lean topics (migration V11) once they are
 * {@link #KEPT} old, or the topic's {@code retention.done} if that is shorter. They exist so that a
 * record redelivered after a worker crash is not run again, which happens within minutes, and so
 * that {@code GET /v1/tasks/{id}} can say "done" for a while; the counts they added stay.
 */
final class LeanMarkers {

    /** How long a lean success is remembered at most. */
    static final Duration KEPT = Duration.ofHours(1);

    private static final String DELETE = """
            delete from lean_done where id in (
                select id from lean_done where finished_at < ? and (?::text is null or topic = ?)
                    and not (topic = any(?::text[])) limit ? for update skip locked)
            """;

    private static final String COUNT = """
            select count(*) from lean_done where finished_at < ? and (?::text is null or topic = ?)
                and not (topic = any(?::text[]))
            """;

    private LeanMarkers() {}

    /** Deletes (or, {@code dry}, counts) the expired rows; returns how many. */
    static long prune(Connection conn, RetentionConfig config, Instant now, boolean dry) throws SQLException {
        Duration general = min(KEPT, config.ages().get(TaskStatus.DONE));
        List<String> own = new ArrayList<>();
        long n = 0;
        for (Map.Entry<String, Map<TaskStatus, Duration>> t : config.topics().entrySet()) {
            Duration age = t.getValue().get(TaskStatus.DONE);
            if (age != null && !min(KEPT, age).equals(general)) {
                own.add(t.getKey());
                n += run(conn, dry, now.minus(min(KEPT, age)), t.getKey(), List.of());
            }
        }
        return n + run(conn, dry, now.minus(general), null, own);
    }

    private static long run(Connection conn, boolean dry, Instant before, String topic, List<String> except)
            throws SQLException {
        long total = 0;
        for (int n = PrunePass.BATCH; n == PrunePass.BATCH || dry; total += n) {
            try (PreparedStatement ps = conn.prepareStatement(dry ? COUNT : DELETE)) {
                ps.setObject(1, OffsetDateTime.ofInstant(before, ZoneOffset.UTC));
                ps.setString(2, topic);
                ps.setString(3, topic);
                ps.setObject(4, except.toArray(String[]::new));
                if (dry) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
                ps.setInt(5, PrunePass.BATCH);
                n = ps.executeUpdate();
            }
        }
        return total;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
