-- An operator's `update extension_configs set config = ...` is picked up by the workers (issue 19).
--
-- Workers re-read extension_configs every worker.config-refresh and take a row whose version is
-- newer than the copy they cached. An UPDATE that changed config but left version as it was was
-- never picked up. This trigger raises version (and sets updated_at) on every change of config
-- that does not raise version itself, so a plain UPDATE of config is enough.

create function conveyor_bump_extension_config_version() returns trigger
    language plpgsql as
$$
begin
    if new.config is distinct from old.config and new.version <= old.version then
        new.version := old.version + 1;
        new.updated_at := now();
    end if;
    return new;
end
$$;

comment on function conveyor_bump_extension_config_version() is
    'Raises extension_configs.version when config changes and the UPDATE did not raise it, so workers pick the change up.';

create trigger extension_configs_bump_version
    before update on extension_configs
    for each row
    execute function conveyor_bump_extension_config_version();

comment on column extension_configs.version is
    'Increases on every change of config (a trigger raises it when an UPDATE does not), so workers can tell a stale '
    'cached copy.';
