-- Which kind of extension serves each topic (issue 19), so that any ingress can refuse an
-- interactive request to a topic no interactive extension serves at once (409), instead of
-- waiting out its timeout for a 504. Every worker writes the topics it serves when it starts; an
-- ingress reads the table (cached for a few seconds) when it was not given the kinds in-process.

create table topic_kinds (
    topic      text        not null,
    kind       text        not null,
    extension  text        not null,
    updated_at timestamptz not null default now(),
    constraint topic_kinds_pk primary key (topic),
    constraint topic_kinds_kind_check check (kind in ('background', 'interactive', 'scheduled'))
);

comment on table topic_kinds is
    'The kind of extension that serves each task topic, as the last worker that started with it wrote it.';
comment on column topic_kinds.topic is 'The task topic.';
comment on column topic_kinds.kind is 'background, interactive or scheduled: the SPI interface of the extension.';
comment on column topic_kinds.extension is 'Name of the extension (its extension_configs key).';
comment on column topic_kinds.updated_at is 'When a worker last wrote the row (at its start).';
