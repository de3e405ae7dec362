-- Lean status mode (issue 18): worker.status / worker.topics.<topic>.status = lean.
--
-- A task of a lean topic that ends done on its first run, without a callback, an idempotency key
-- or a running mark, leaves no tasks row and no transitions: the worker inserts one narrow row
-- here instead, in the same transaction and batch as every other outcome. The row is what keeps
-- redelivery exact: a worker that crashed after the batch committed but before its Kafka offset
-- did finds the task here when the record comes again and does not run it a second time (the
-- worker's state lookup reads tasks and lean_done in one statement). It also lets
-- GET /v1/tasks/{id} answer "done" for a while. The pruner deletes these rows once they are an hour
-- old (or the topic's retention.done, if shorter); a redelivery comes within minutes.
--
-- The insert trigger counts lean successes like done rows: in task_counts (done) and in
-- task_finished_minutes. Deleting lean_done rows does not uncount them: a lean topic's done
-- count is every lean success plus the done rows kept.

create table lean_done (
    id          uuid        not null,
    topic       text        not null,
    finished_at timestamptz not null,
    constraint lean_done_pk primary key (id)
);

-- Rows arrive in finished_at order, so a BRIN index (a few pages) finds the old ones for the pruner.
create index lean_done_finished_idx on lean_done using brin (finished_at);

comment on table lean_done is
    'Tasks of lean topics (worker.status: lean) that ended done on their first run and so have no tasks row: '
    'kept an hour (or retention.done of the topic, if shorter) so a redelivered record is not run again.';
comment on column lean_done.id is 'The task id (no tasks row exists for it).';
comment on column lean_done.topic is 'Topic of the task.';
comment on column lean_done.finished_at is 'When the task ended done.';

create function conveyor_count_lean_done() returns trigger
    language plpgsql
    set search_path from current as
$$
declare
    s smallint;
begin
    if not exists (select from inserted_lean) then
        return null;
    end if;
    s := conveyor_task_counts_slot();
    insert into task_counts as c (topic, status, slot, n)
    select topic, 'done', s, count(*) from inserted_lean group by topic order by topic
    on conflict (topic, status, slot) do update set n = c.n + excluded.n;
    insert into task_finished_minutes as f (minute, topic, status, slot, n)
    select date_trunc('minute', finished_at), topic, 'done', s, count(*)
    from inserted_lean group by 1, 2 order by 1, 2
    on conflict (minute, topic, status, slot) do update set n = f.n + excluded.n;
    return null;
end
$$;

comment on function conveyor_count_lean_done() is
    'Counts the lean successes a statement inserted into lean_done as done tasks (task_counts, task_finished_minutes).';

create trigger lean_done_count_inserts
    after insert on lean_done
    referencing new table as inserted_lean
    for each statement
    execute function conveyor_count_lean_done();
