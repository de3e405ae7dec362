-- Cheaper writes on the hot path: the task counts of V5 without a quadratic join, and HOT claims.
--
-- conveyor_count_updated_tasks() joins the old and new transition tables of an UPDATE on tasks by
-- id. PostgreSQL keeps no statistics on transition tables and PL/pgSQL caches the statement's plan,
-- so the planner estimated one row on each side and chose a nested loop: every row of the new table
-- compared with every row of the old one. For the 1,000-row statements the worker and the scheduler
-- write (status batches over existing rows, requeues of rescheduled tasks) the trigger took about
-- 100 ms of CPU per statement, most of the statement's cost. Without nested loops inside the
-- function the join is a hash join: about 1 ms. The setting applies to the function's own
-- statements only.

alter function conveyor_count_updated_tasks() set enable_nestloop = off;

comment on function conveyor_count_updated_tasks() is
    'Moves the rows of an UPDATE on tasks whose status (or topic) changed between task_counts rows, and counts those '
    'that became terminal in task_finished_minutes. Runs with enable_nestloop off (V7): its join of the two '
    'transition tables must be a hash join.';

-- A scheduler's claim updates claimed_by and claimed_until, which no index covers: with room left
-- on the row's page PostgreSQL makes that a heap-only (HOT) update, with no new entry in the three
-- indexes of the table. Rows live here from a reschedule until their delivery, so the table is
-- small and half-empty pages cost little; with the default fillfactor (100) the pages were full and
-- every claim wrote three index entries per row. Applies to pages written from now on.
alter table scheduled_deliveries set (fillfactor = 50);
