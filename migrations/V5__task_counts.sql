-- Task counts that cost the same with 10 million tasks as with ten (GET /v1/stats).
--
-- count(*) over tasks grows with the table, so the counts are kept by statement-level triggers
-- on tasks instead: each INSERT, UPDATE or DELETE statement aggregates the rows it changed (its
-- transition tables) and adds one delta per (topic, status) to task_counts, and counts the tasks
-- that reached a terminal status in task_finished_minutes (throughput per minute). The worker
-- writes 1000 status changes per statement, so a batch costs two or three small aggregates and
-- upserts of a few rows, not work per task.
--
-- Hot counter rows: a counter row updated by one transaction stays locked until it commits, so two
-- writers adding to the same row would take turns (and, locking rows in different orders, could
-- deadlock). Every counter row therefore carries a slot, and a transaction writes only to a slot it
-- holds an advisory transaction lock on (conveyor_task_counts_slot: its backend's slot
-- pg_backend_pid() % 16 if free, else the next free one). Concurrent writers never touch the same
-- counter row while fewer than 16 of them run at once; readers sum over the slots.
--
-- The counts are exact: the triggers run in the writer's transaction, so a rolled back write rolls
-- back its delta too. TRUNCATE tasks (which has no transition tables) resets task_counts.
--
-- The functions keep the search path they were created with (this installation's schema), so a
-- write to <schema>.tasks from a session whose search path is elsewhere (psql, another
-- installation) still counts in <schema>'s tables.

-- --------------------------------------------------------------------------------------------
-- task_counts
-- --------------------------------------------------------------------------------------------
create table task_counts (
    topic  text     not null,
    status text     not null,
    slot   smallint not null,
    n      bigint   not null,
    constraint task_counts_pk primary key (topic, status, slot),
    constraint task_counts_status_check check (status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint task_counts_slot_check check (slot between 0 and 15)
);

comment on table task_counts is
    'Number of tasks rows per topic and status, kept by triggers on tasks (see V5). The count of a (topic, status) '
    'is the sum of n over its slots; a single slot''s n can be negative.';
comment on column task_counts.topic is 'Topic of the counted tasks (tasks.topic).';
comment on column task_counts.status is 'Status of the counted tasks (tasks.status).';
comment on column task_counts.slot is
    'Which of 16 counter rows of the (topic, status) this is: each writing transaction adds to a slot no concurrent '
    'writer uses, so writers never wait for each other''s counter rows.';
comment on column task_counts.n is 'Rows added minus rows removed by the transactions that wrote this slot.';

-- --------------------------------------------------------------------------------------------
-- task_finished_minutes
-- --------------------------------------------------------------------------------------------
create table task_finished_minutes (
    minute timestamptz not null,
    topic  text        not null,
    status text        not null,
    slot   smallint    not null,
    n      bigint      not null,
    constraint task_finished_minutes_pk primary key (minute, topic, status, slot),
    constraint task_finished_minutes_status_check check (status in ('done', 'failed', 'skipped', 'cancelled', 'dead')),
    constraint task_finished_minutes_slot_check check (slot between 0 and 15)
);

comment on table task_finished_minutes is
    'Tasks that reached a terminal status, per minute, topic and status, counted by the triggers on tasks (see V5). '
    'Throughput of the last minutes for GET /v1/stats; rows older than a day are deleted by the ingress.';
comment on column task_finished_minutes.minute is
    'Start of the minute the tasks finished in (tasks.finished_at, or updated_at when finished_at is null, truncated to the minute).';
comment on column task_finished_minutes.topic is 'Topic of the finished tasks.';
comment on column task_finished_minutes.status is 'Terminal status they reached: done, failed, skipped, cancelled or dead.';
comment on column task_finished_minutes.slot is 'Counter slot of the writing transaction, as in task_counts.slot.';
comment on column task_finished_minutes.n is 'How many tasks of this topic reached this status in this minute (sum over slots).';

-- --------------------------------------------------------------------------------------------
-- The triggers
-- --------------------------------------------------------------------------------------------
create function conveyor_task_counts_slot() returns smallint
    language plpgsql
    set search_path from current as
$$
declare
    home  integer := pg_backend_pid() % 16;
    space integer := hashtext(current_schema() || '.task_counts');
begin
    -- Advisory transaction locks are re-entrant: later statements of the same transaction get the
    -- slot they already hold (or a second free one, which is as good).
    for i in 0 .. 15 loop
        if pg_try_advisory_xact_lock(space, (home + i) % 16) then
            return (home + i) % 16;
        end if;
    end loop;
    -- Sixteen writers at once: share the home slot and wait on its rows like a plain counter.
    return home;
end
$$;

comment on function conveyor_task_counts_slot() is
    'The counter slot (0-15) this transaction writes task_counts and task_finished_minutes rows to: one it holds an '
    'advisory transaction lock on, so no concurrent writer uses it.';

create function conveyor_count_inserted_tasks() returns trigger
    language plpgsql
    set search_path from current as
$$
declare
    s smallint;
begin
    if not exists (select from inserted_tasks) then
        return null;  -- an INSERT ... ON CONFLICT whose rows all existed: the update trigger counts them
    end if;
    s := conveyor_task_counts_slot();
    insert into task_counts as c (topic, status, slot, n)
    select topic, status, s, count(*) from inserted_tasks group by topic, status order by topic, status
    on conflict (topic, status, slot) do update set n = c.n + excluded.n;
    insert into task_finished_minutes as f (minute, topic, status, slot, n)
    select date_trunc('minute', coalesce(finished_at, updated_at)), topic, status, s, count(*)
    from inserted_tasks
    where status in ('done', 'failed', 'skipped', 'cancelled', 'dead')
    group by 1, 2, 3 order by 1, 2, 3
    on conflict (minute, topic, status, slot) do update set n = f.n + excluded.n;
    return null;
end
$$;

comment on function conveyor_count_inserted_tasks() is
    'Adds the rows of an INSERT on tasks to task_counts, and those inserted with a terminal status to task_finished_minutes.';

create function conveyor_count_updated_tasks() returns trigger
    language plpgsql
    set search_path from current as
$$
declare
    s smallint;
begin
    -- Rows whose status and topic did not change (e.g. a retried write) add no delta.
    s := conveyor_task_counts_slot();
    with changed as materialized (
        select n.topic, n.status, o.topic as old_topic, o.status as old_status,
               coalesce(n.finished_at, n.updated_at) as finished
        from updated_tasks_new n join updated_tasks_old o on o.id = n.id
        where n.status <> o.status or n.topic <> o.topic
    ), counted as (
        insert into task_counts as c (topic, status, slot, n)
        select topic, status, s, sum(delta)
        from (select topic, status, 1 as delta from changed
              union all
              select old_topic, old_status, -1 from changed) d
        group by topic, status
        having sum(delta) <> 0
        order by topic, status
        on conflict (topic, status, slot) do update set n = c.n + excluded.n
    )
    insert into task_finished_minutes as f (minute, topic, status, slot, n)
    select date_trunc('minute', finished), topic, status, s, count(*)
    from changed
    where status in ('done', 'failed', 'skipped', 'cancelled', 'dead')
      and old_status not in ('done', 'failed', 'skipped', 'cancelled', 'dead')
    group by 1, 2, 3 order by 1, 2, 3
    on conflict (minute, topic, status, slot) do update set n = f.n + excluded.n;
    return null;
end
$$;

comment on function conveyor_count_updated_tasks() is
    'Moves the rows of an UPDATE on tasks whose status (or topic) changed between task_counts rows, and counts those '
    'that became terminal in task_finished_minutes.';

create function conveyor_count_deleted_tasks() returns trigger
    language plpgsql
    set search_path from current as
$$
declare
    s smallint;
begin
    if not exists (select from deleted_tasks) then
        return null;
    end if;
    s := conveyor_task_counts_slot();
    -- Deleting finished tasks (retention) does not change how many finished in a past minute.
    insert into task_counts as c (topic, status, slot, n)
    select topic, status, s, -count(*) from deleted_tasks group by topic, status order by topic, status
    on conflict (topic, status, slot) do update set n = c.n + excluded.n;
    return null;
end
$$;

comment on function conveyor_count_deleted_tasks() is 'Removes the rows of a DELETE on tasks from task_counts.';

create function conveyor_reset_task_counts() returns trigger
    language plpgsql
    set search_path from current as
$$
begin
    delete from task_counts;
    return null;
end
$$;

comment on function conveyor_reset_task_counts() is 'Empties task_counts when tasks is truncated.';

-- Creating the triggers locks tasks against writes until this migration commits, so the counts
-- taken below cannot miss a concurrent write nor count one twice.
create trigger tasks_count_inserts
    after insert on tasks
    referencing new table as inserted_tasks
    for each statement
    execute function conveyor_count_inserted_tasks();

create trigger tasks_count_updates
    after update on tasks
    referencing old table as updated_tasks_old new table as updated_tasks_new
    for each statement
    execute function conveyor_count_updated_tasks();

create trigger tasks_count_deletes
    after delete on tasks
    referencing old table as deleted_tasks
    for each statement
    execute function conveyor_count_deleted_tasks();

create trigger tasks_count_truncates
    after truncate on tasks
    for each statement
    execute function conveyor_reset_task_counts();

-- The tasks already there (one pass over the table; an installation with many tasks migrates for
-- as long as that scan takes).
insert into task_counts (topic, status, slot, n)
select topic, status, 0, count(*) from tasks group by topic, status;

insert into task_finished_minutes (minute, topic, status, slot, n)
select date_trunc('minute', coalesce(finished_at, updated_at)), topic, status, 0, count(*)
from tasks
where status in ('done', 'failed', 'skipped', 'cancelled', 'dead')
  and coalesce(finished_at, updated_at) >= now() - interval '1 day'
group by 1, 2, 3;

-- --------------------------------------------------------------------------------------------
-- Listing all tasks newest first: GET /v1/tasks without status or topic (keyset pagination).
-- --------------------------------------------------------------------------------------------
create index tasks_created_idx on tasks (created_at desc, id desc);

comment on index tasks_created_idx is 'All tasks newest first, ties by id, for keyset pagination of GET /v1/tasks.';
