-- The status index leaves out done tasks.
--
-- Most tasks end done, and every index on tasks costs each status write a little: on a busy worker
-- the status tables are the bottleneck. Operators look up tasks by status for what needs
-- attention (queued, running, rescheduled, failed, dead, ...); listing done tasks of a topic uses
-- tasks_topic_created_idx and filters, which is cheap because done is the bulk of that topic.
-- Measured with 1000-row unnest upserts of done tasks (PostgreSQL 15, this project's 2-core
-- machine): the index was about 3 ms of the 21 ms PostgreSQL spent per 1000 tasks (row, indexes and
-- two history rows each).

drop index tasks_status_topic_created_idx;
create index tasks_status_topic_created_idx on tasks (status, topic, created_at desc) where status <> 'done';

comment on index tasks_status_topic_created_idx is
    'Tasks by status and topic, newest first, for every status but done (see V4).';
