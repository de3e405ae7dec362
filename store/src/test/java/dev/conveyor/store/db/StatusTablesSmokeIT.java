package dev.conveyor.store.db;

import static dev.conveyor.store.db.jooq.Tables.EXTENSION_CONFIGS;
import static dev.conveyor.store.db.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.IntegrityConstraintViolationException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The database half of the foundation, on a real PostgreSQL: the product's pool opens and finds
 * the schema migrated, and a task row is upserted and read back through the generated jOOQ classes.
 */
@ConveyorIntegrationTest
class StatusTablesSmokeIT {

    private static Database database;

    @BeforeAll
    static void open(TestDatabase db) {
        // The product's own pool and migration path, pointed at this class's schema.
        database = Database.openAndMigrate(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()),
                "smoke");
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Test
    void upsertsATaskRowAndReadsItBackThroughJooq() {
        DSLContext dsl = database.dsl();
        UUID id = TaskIds.newId();
        Instant created = Instant.now().truncatedTo(ChronoUnit.MICROS);

        int inserted = upsert(dsl, id, TaskStatus.QUEUED, 1, created);
        assertThat(inserted).isEqualTo(1);
        // Same key again: the conflict branch runs and moves the row forward.
        upsert(dsl, id, TaskStatus.DONE, 1, created);

        TasksRecord row = dsl.selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchSingle();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.DONE);
        assertThat(row.getKind()).isEqualTo(TaskKind.WEBHOOK);
        assertThat(row.getTopic()).isEqualTo("orders");
        assertThat(row.getCreatedAt()).isEqualTo(created);
        assertThat(row.getFinishedAt()).isNotNull();
        assertThat(new String(row.getPayload(), StandardCharsets.UTF_8)).isEqualTo("{\"sku\":\"A-1\"}");
        assertThat(JsonCodec.taskResult(Json.parse(row.getResult().data().getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(TaskResult.done());

        // Stored as text in the database, read as the enum in Java.
        String raw = dsl.select(DSL.field(DSL.name("status"), String.class)).from(TASKS).where(TASKS.ID.eq(id))
                .fetchSingle().value1();
        assertThat(raw).isEqualTo("done");

        dsl.insertInto(TASK_TRANSITIONS)
                .set(TASK_TRANSITIONS.TASK_ID, id)
                .set(TASK_TRANSITIONS.TO_STATUS, TaskStatus.QUEUED)
                .set(TASK_TRANSITIONS.ATTEMPT, 1)
                .execute();
        dsl.insertInto(TASK_TRANSITIONS)
                .set(TASK_TRANSITIONS.TASK_ID, id)
                .set(TASK_TRANSITIONS.FROM_STATUS, TaskStatus.QUEUED)
                .set(TASK_TRANSITIONS.TO_STATUS, TaskStatus.DONE)
                .set(TASK_TRANSITIONS.ATTEMPT, 1)
                .set(TASK_TRANSITIONS.NODE, "smoke")
                .execute();
        assertThat(dsl.select(TASK_TRANSITIONS.TO_STATUS).from(TASK_TRANSITIONS)
                .where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.TO_STATUS))
                .containsExactly(TaskStatus.QUEUED, TaskStatus.DONE);
    }

    @Test
    void constraintsRejectImpossibleRows() {
        DSLContext dsl = database.dsl();
        assertThatThrownBy(() -> dsl.insertInto(DSL.table(DSL.name("tasks")))
                .columns(DSL.field(DSL.name("id")), DSL.field(DSL.name("topic")), DSL.field(DSL.name("type")),
                        DSL.field(DSL.name("status")))
                .values(TaskIds.newId(), "orders", "t", "finished")
                .execute())
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("tasks_status_check");

        assertThatThrownBy(() -> dsl.insertInto(TASKS)
                .set(TASKS.ID, TaskIds.newId()).set(TASKS.TOPIC, "orders").set(TASKS.TYPE, "t").set(TASKS.ATTEMPT, 0)
                .execute())
                .hasMessageContaining("tasks_attempt_check");
    }

    @Test
    void idempotencyKeysAreUniquePerScope() {
        DSLContext dsl = database.dsl();
        insertKey(dsl, "topic:orders", "key-1");
        insertKey(dsl, "topic:quotes", "key-1");
        assertThatThrownBy(() -> insertKey(dsl, "topic:orders", "key-1"))
                .isInstanceOf(IntegrityConstraintViolationException.class)
                .hasMessageContaining("idempotency_keys_pk");
    }

    @Test
    void extensionConfigMustBeAJsonObject() {
        DSLContext dsl = database.dsl();
        dsl.insertInto(EXTENSION_CONFIGS).set(EXTENSION_CONFIGS.EXTENSION, "orders-ext")
                .set(EXTENSION_CONFIGS.CONFIG, JSONB.valueOf("{\"limit\":3}")).execute();
        assertThat(dsl.fetchValue(EXTENSION_CONFIGS.CONFIG, EXTENSION_CONFIGS.EXTENSION.eq("orders-ext")).data())
                .isEqualTo("{\"limit\": 3}");
        assertThatThrownBy(() -> dsl.insertInto(EXTENSION_CONFIGS).set(EXTENSION_CONFIGS.EXTENSION, "bad")
                .set(EXTENSION_CONFIGS.CONFIG, JSONB.valueOf("[1,2]")).execute())
                .hasMessageContaining("extension_configs_object_check");
    }

    private static int upsert(DSLContext dsl, UUID id, TaskStatus status, int attempt, Instant created) {
        Instant now = Instant.now();
        Instant finished = status.isTerminal() ? now : null;
        JSONB result = status == TaskStatus.DONE ? JSONB.valueOf(JsonCodec.toJson(TaskResult.done()).toString()) : null;
        return dsl.insertInto(TASKS)
                .set(TASKS.ID, id)
                .set(TASKS.TOPIC, "orders")
                .set(TASKS.KIND, TaskKind.WEBHOOK)
                .set(TASKS.TYPE, "order.created")
                .set(TASKS.STATUS, status)
                .set(TASKS.ATTEMPT, attempt)
                .set(TASKS.PAYLOAD, "{\"sku\":\"A-1\"}".getBytes(StandardCharsets.UTF_8))
                .set(TASKS.CONTENT_TYPE, "application/json")
                .set(TASKS.CREATED_AT, created)
                .set(TASKS.FINISHED_AT, finished)
                .set(TASKS.RESULT, result)
                .onConflict(TASKS.ID)
                .doUpdate()
                .set(TASKS.STATUS, status)
                .set(TASKS.UPDATED_AT, now)
                .set(TASKS.FINISHED_AT, finished)
                .set(TASKS.RESULT, result)
                .execute();
    }

    private static void insertKey(DSLContext dsl, String scope, String key) {
        dsl.insertInto(IDEMPOTENCY_KEYS)
                .set(IDEMPOTENCY_KEYS.SCOPE, scope)
                .set(IDEMPOTENCY_KEYS.KEY, key)
                .set(IDEMPOTENCY_KEYS.TASK_ID, TaskIds.newId())
                .execute();
    }
}
