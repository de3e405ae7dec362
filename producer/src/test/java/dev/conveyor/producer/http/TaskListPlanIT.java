package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import io.helidon.common.parameters.Parameters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.conf.ParamType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The list query of {@code GET /v1/tasks} walks an index in the listing's order for each filter
 * combination operators use, on a table whose statistics say it is large (mostly done tasks, as in
 * production). Plans are logged for review.
 */
@ConveyorIntegrationTest
class TaskListPlanIT {

    private static final Logger log = LoggerFactory.getLogger(TaskListPlanIT.class);
    private static DSLContext dsl;

    @BeforeAll
    static void load(TestDatabase db) {
        dsl = db.dsl();
        // 60 000 tasks over 30 days in 10 topics: 90 % done, 5 % failed, 3 % queued, 2 % dead.
        dsl.execute("""
                insert into tasks (id, topic, kind, type, status, attempt, created_at, updated_at, finished_at)
                select gen_random_uuid(), 'topic-' || (i % 10), 'background', 't',
                       case when i % 100 < 90 then 'done' when i % 100 < 95 then 'failed'
                            when i % 100 < 98 then 'queued' else 'dead' end,
                       1, ts, ts, case when i % 100 between 95 and 97 then null else ts end
                from (select i, timestamptz '2026-11-01' + i * interval '43 seconds' as ts
                      from generate_series(1, 60000) i) s""");
        // tasks_created_idx arrives with migration V5 on another branch; created here until then.
        dsl.execute("create index if not exists tasks_created_idx on tasks (created_at desc, id desc)");
        dsl.execute("analyze tasks");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "topic=topic-3", "status=failed", "status=failed&topic=topic-3", "status=failed,dead",
            "status=failed,dead&topic=topic-3", "q=0190abcd", "q=order-42",
            "cursor=MTc5NjEyMDAwMDAwMDAwMDowMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA",
            "status=failed&topic=topic-3&cursor=MTc5NjEyMDAwMDAwMDAwMDowMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA"})
    void everyFilterWalksAnIndex(String queryString) {
        String sql = TasksApi.select(dsl, TaskQuery.parse(parameters(queryString))).getSQL(ParamType.INLINED);
        String plan = String.join("\n", dsl.fetch("explain " + sql).getValues(0, String.class));
        log.info("GET /v1/tasks?{}\n{}\n{}", queryString, sql, plan);
        assertThat(plan).as(plan).doesNotContain("Seq Scan");
    }

    private static Parameters parameters(String queryString) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (String pair : queryString.split("&")) {
            if (!pair.isEmpty()) {
                int eq = pair.indexOf('=');
                map.computeIfAbsent(pair.substring(0, eq), k -> new java.util.ArrayList<>()).add(pair.substring(eq + 1));
            }
        }
        return Parameters.create("query", map);
    }
}
