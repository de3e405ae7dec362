-- History partitioned by time (issue 18).
--
-- task_transitions becomes a table partitioned by range on "at". The pruner (scheduler role)
-- creates the partitions ahead of time, one per retention.history-partition (default one day,
-- named task_transitions_pYYYYMMDDHHMM after their UTC start), and drops a partition whole once it
-- is older than the shortest retention age: the transitions of tasks that are still kept are moved
-- to the default partition first, so no kept task loses its history. Rows that arrive for a time
-- no partition covers yet (the pruner not running, a node's clock far ahead) land in
-- task_transitions_default, so a write never fails for want of a partition.
--
-- An installation that already has history keeps it: the existing table is attached as the
-- partition task_transitions_before_v10, covering everything before the end of the day of the
-- upgrade (UTC; or of its latest row, if later), and is dropped whole like any other partition.
-- Attaching it builds the new primary key index over the existing rows and checks their range
-- once; both run inside this migration, at start-up.

alter table task_transitions rename to task_transitions_before_v10;
alter table task_transitions_before_v10 rename constraint task_transitions_pk to task_transitions_before_v10_pk;

create table task_transitions (
    task_id     uuid        not null,
    seq         bigint      not null default nextval('task_transitions_seq'),
    from_status text,
    to_status   text        not null,
    at          timestamptz not null default now(),
    attempt     integer     not null,
    reason      text,
    node        text,
    -- A partitioned table's keys must include the partition column; (task_id, seq) alone is unique anyway.
    constraint task_transitions_pk primary key (task_id, seq, at),
    constraint task_transitions_from_check check (from_status is null or from_status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint task_transitions_to_check check (to_status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint task_transitions_attempt_check check (attempt >= 1)
) partition by range (at);

-- The sequence must belong to the new table: dropping the old one's partition would drop it otherwise.
alter sequence task_transitions_seq owned by task_transitions.seq;

create table task_transitions_default partition of task_transitions default;

do $$
declare
    cutover timestamptz;
begin
    if not exists (select 1 from task_transitions_before_v10) then
        drop table task_transitions_before_v10;
        return;
    end if;
    select greatest(date_trunc('day', now(), 'UTC') + interval '1 day',
                    date_trunc('day', max(at), 'UTC') + interval '1 day')
      into cutover from task_transitions_before_v10;
    -- A valid check constraint that implies the partition's range spares the attach its own scan.
    execute format('alter table task_transitions_before_v10 add constraint task_transitions_before_v10_range '
                   'check (at < %L)', cutover);
    -- The attach builds the primary key of the parent, (task_id, seq, at), on it.
    alter table task_transitions_before_v10 drop constraint task_transitions_before_v10_pk;
    execute format('alter table task_transitions attach partition task_transitions_before_v10 '
                   'for values from (minvalue) to (%L)', cutover);
end $$;

comment on table task_transitions is
    'Append-only history of every status change of every task, partitioned by range on "at" (see '
    'retention.history-partition). No foreign key to tasks: it is written in the same transaction as the tasks '
    'row, and is dropped by partition without touching tasks.';
comment on column task_transitions.task_id is 'The task (tasks.id) whose status changed.';
comment on column task_transitions.seq is
    'Order of the change: increases with every transition written (one sequence for all tasks), so ordering a task''s rows by seq gives its history.';
comment on column task_transitions.from_status is 'Status before the change; null for the first record of a task.';
comment on column task_transitions.to_status is 'Status after the change.';
comment on column task_transitions.at is
    'When the change happened (the clock of the node that made it); selects the partition.';
comment on column task_transitions.attempt is 'Delivery number the change belongs to.';
comment on column task_transitions.reason is
    'Why: the exception message of a failed execution, the output of fail/skip, the countdown of a reschedule, the operator action.';
comment on column task_transitions.node is 'Name of the node (worker, scheduler, ingress, operator CLI) that made the change.';
comment on table task_transitions_default is
    'Transitions no dated partition covers: those of kept tasks moved out of a dropped partition, and rows '
    'written before the pruner created their partition. Rows here are deleted with their task.';
