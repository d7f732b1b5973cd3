-- Read-only account for BI tools (Superset, Metabase, Excel via ODBC) on PostgreSQL; applied by
-- etl.roles.create_bi_role, which creates the role and sets its password first. Run it as the role that
-- builds the marts: the default privileges below cover the views that role re-creates on every build.
-- Mart views run with their owner's rights, so the role needs nothing on core; it gets nothing on raw,
-- staging, core or audit either (the revokes make a re-run undo any earlier grant).
revoke all on all tables in schema raw, staging, core, audit from bi_reader;
revoke all on schema raw, staging, core, audit from bi_reader;
revoke create on schema mart from bi_reader;
grant usage on schema mart to bi_reader;
grant select on all tables in schema mart to bi_reader;
alter default privileges in schema mart grant select on tables to bi_reader;
alter role bi_reader set default_transaction_read_only = on;
