package dev.conveyor.worker.internal;

import dev.conveyor.store.db.Database;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.TaskState;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import org.jooq.ConnectionProvider;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Reads the stored state of a poll's tasks for the poll thread, on one connection of the pool
 * that it keeps: one round trip per poll, no pool contention with the status writers on the
 * pickup path. The connection has {@code enable_seqscan = off} because the only query it runs is
 * a primary-key lookup, which stale statistics must never turn into a full scan per poll.
 */
final class StateReader implements AutoCloseable {

    private final ConnectionProvider connections;
    private final boolean lean;
    private Connection connection;
    private DSLContext dsl;

    /**
     * @param connections the process pool's provider (from the worker's DSLContext)
     * @param lean whether some topic is lean: its tasks recorded without a row are looked up too
     */
    StateReader(ConnectionProvider connections, boolean lean) {
        this.connections = connections;
        this.lean = lean;
    }

    Map<UUID, TaskState> load(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        try {
            return JooqStatusStore.load(context(), ids, lean);
        } catch (RuntimeException e) {
            close(); // a broken connection is replaced on the next call
            throw e;
        }
    }

    private DSLContext context() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = connections.acquire();
                connection.setAutoCommit(true);
                dsl = DSL.using(connection, SQLDialect.POSTGRES, Database.settings());
                dsl.query("set enable_seqscan = off").execute();
            }
            return dsl;
        } catch (SQLException e) {
            throw new org.jooq.exception.DataAccessException("cannot get a connection for task state reads", e);
        }
    }

    @Override
    public void close() {
        try {
            if (connection != null) {
                // Back to the pool as it came: the pool may hand it to other code next.
                if (!connection.isClosed()) {
                    DSL.using(connection, SQLDialect.POSTGRES).query("reset enable_seqscan").execute();
                }
                connections.release(connection);
            }
        } catch (SQLException | RuntimeException ignored) {
            // Closing a broken connection; the pool evicts it.
        }
        connection = null;
        dsl = null;
    }
}
