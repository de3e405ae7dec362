package dev.conveyor.worker.retention;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dated partitions of {@code task_transitions} (migration V10): created ahead of time, one per
 * {@link RetentionConfig#historyPartition()} aligned on multiples of it since 1970-01-01 UTC, and
 * dropped whole once their end is older than the shortest retention age (and a minute). Before a partition is
 * dropped the transitions of tasks that are still kept (a failure kept 30 days, a task rescheduled
 * far ahead) are copied to {@code task_transitions_default}, so no kept task loses its history; the
 * rest went with their tasks. Locks on {@code task_transitions} are taken only for the detach and
 * that copy, and wait at most {@link #LOCK_TIMEOUT}; a pass that cannot get them tries again at the
 * next turn.
 */
final class HistoryPartitions {

    static final String PARENT = "task_transitions";
    static final String DEFAULT = "task_transitions_default";
    /** Partitions are created this many periods beyond the current one. */
    static final int AHEAD = 2;
    private static final String LOCK_TIMEOUT = "2s";
    /** Two pruner intervals: the passes that delete the last expired tasks of a partition have run. */
    static final Duration SETTLE = Duration.ofMinutes(1);
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'task_transitions_p'yyyyMMddHHmm")
            .withZone(ZoneOffset.UTC);
    private static final Pattern BOUNDS = Pattern.compile("FOR VALUES FROM \\((.+)\\) TO \\((.+)\\)");

    /** One attached dated partition; {@code from} is null for MINVALUE (the partition of history before V10). */
    record Partition(String name, Instant from, Instant to, long rowsEstimate) {}

    /** The partitions dropped (or that would be) and how many transitions of kept tasks were moved out of them. */
    record Dropped(List<Partition> partitions, long keptRowsMoved) {}

    private HistoryPartitions() {}

    /**
     * Creates the partitions missing up to {@link #AHEAD} periods after the current one.
     *
     * @param dry list what would be created; change nothing
     * @return the names of the partitions created
     */
    static List<String> createAhead(Connection conn, RetentionConfig config, Instant now, boolean dry) throws SQLException {
        List<String> created = new ArrayList<>();
        for (Range r : missing(list(conn), config.historyPartition(), now)) {
            if (!dry) {
                create(conn, r);
            }
            created.add(NAME.format(r.from));
        }
        return created;
    }

    /**
     * Drops the partitions that ended before {@code now - shortest age - }{@link #SETTLE}: by then
     * the tasks that finished in them with the shortest age are pruned, so little is left to move.
     * Run after the pass deleted the expired tasks, for the same reason. (Moving is what keeps it
     * correct, so the horizon only decides how much is moved.)
     *
     * @param dry list what would be dropped; change nothing
     */
    static Dropped dropExpired(Connection conn, RetentionConfig config, Instant now, boolean dry) throws SQLException {
        Instant horizon = now.minus(config.shortestTaskAge()).minus(SETTLE);
        List<Partition> dropped = new ArrayList<>();
        long moved = 0;
        for (Partition p : list(conn)) {
            if (!p.to.isAfter(horizon)) {
                moved += dry ? 0 : drop(conn, p);
                dropped.add(p);
            }
        }
        return new Dropped(dropped, moved);
    }

    record Range(Instant from, Instant to) {}

    /**
     * The ranges to create so that every instant from the current period to AHEAD periods on is
     * covered, clipped to the partitions that exist (a partition of an earlier, different period, or
     * the one of the history before V10, keeps its range).
     */
    static List<Range> missing(List<Partition> partitions, Duration period, Instant now) {
        Instant t = floor(now, period);
        Instant until = t.plus(period.multipliedBy(AHEAD + 1L));
        List<Range> ranges = new ArrayList<>();
        while (t.isBefore(until)) {
            Instant at = t;
            var covering = partitions.stream()
                    .filter(p -> (p.from == null || !p.from.isAfter(at)) && p.to.isAfter(at)).findFirst();
            if (covering.isPresent()) {
                t = covering.get().to;
                continue;
            }
            Instant end = floor(t, period).plus(period);
            for (Partition p : partitions) {
                if (p.from != null && p.from.isAfter(t) && p.from.isBefore(end)) {
                    end = p.from;
                }
            }
            ranges.add(new Range(t, end));
            t = end;
        }
        return ranges;
    }

    static Instant floor(Instant t, Duration period) {
        long p = period.toSeconds();
        return Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), p) * p);
    }

    /** The attached partitions other than the default one, oldest first. */
    static List<Partition> list(Connection conn) throws SQLException {
        List<Partition> partitions = new ArrayList<>();
        boolean autoCommit = conn.getAutoCommit();
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            // Bounds print in the session's time zone: UTC, so they parse as written.
            st.execute("set local timezone = 'UTC'");
            try (ResultSet rs = st.executeQuery("""
                    select c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::int8
                    from pg_inherits i join pg_class c on c.oid = i.inhrelid
                    where i.inhparent = 'task_transitions'::regclass
                    """)) {
                while (rs.next()) {
                    Matcher m = BOUNDS.matcher(rs.getString(2));
                    if (m.matches()) {
                        partitions.add(new Partition(rs.getString(1), bound(m.group(1)), bound(m.group(2)), rs.getLong(3)));
                    }
                }
            }
            conn.commit();
        } finally {
            conn.setAutoCommit(autoCommit);
        }
        partitions.sort(Comparator.comparing(Partition::to));
        return partitions;
    }

    /** {@code MINVALUE} or {@code '2026-12-03 00:00:00+00'}. */
    private static Instant bound(String literal) {
        if (literal.equalsIgnoreCase("MINVALUE")) {
            return null;
        }
        String t = literal.replace("'", "").replace(' ', 'T');
        return OffsetDateTime.parse(t.matches(".*[+-]\\d\\d$") ? t + ":00" : t).toInstant();
    }

    /**
     * Creates one partition, taking over what the default partition holds in its range (rows written
     * while no partition covered it): attaching fails while the default partition has such rows.
     */
    private static void create(Connection conn, Range r) throws SQLException {
        String name = NAME.format(r.from);
        inTransaction(conn, st -> {
            st.execute("create table " + name + " (like " + PARENT + " including defaults including constraints "
                    + "including indexes)");
            String range = "at >= '" + r.from + "' and at < '" + r.to + "'";
            // A valid check that implies the range spares the attach its scan of the new table.
            st.execute("alter table " + name + " add constraint " + name + "_range check (" + range + ")");
            st.execute("insert into " + name + " select * from " + DEFAULT + " where " + range);
            st.execute("delete from " + DEFAULT + " where " + range);
            st.execute("alter table " + PARENT + " attach partition " + name + " for values from ('" + r.from
                    + "') to ('" + r.to + "')");
            st.execute("alter table " + name + " drop constraint " + name + "_range");
            return 0L;
        });
    }

    /** Drops one partition whole after copying the transitions of the tasks still kept; returns how many were copied. */
    private static long drop(Connection conn, Partition p) throws SQLException {
        return inTransaction(conn, st -> {
            // Read before any lock on the parent: only this old partition is scanned.
            st.execute("create temp table conveyor_kept_transitions on commit drop as select k.* from " + p.name
                    + " k where exists (select 1 from tasks t where t.id = k.task_id)");
            st.execute("alter table " + PARENT + " detach partition " + p.name);
            // Its range is covered by no partition now: the kept rows land in the default partition.
            long moved = st.executeUpdate("insert into " + PARENT + " select * from conveyor_kept_transitions");
            st.execute("drop table " + p.name);
            return moved;
        });
    }

    private interface Work {
        long run(Statement st) throws SQLException;
    }

    private static long inTransaction(Connection conn, Work work) throws SQLException {
        boolean autoCommit = conn.getAutoCommit();
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.execute("set local lock_timeout = '" + LOCK_TIMEOUT + "'");
            long n = work.run(st);
            conn.commit();
            return n;
        } catch (SQLException | RuntimeException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(autoCommit);
        }
    }
}
