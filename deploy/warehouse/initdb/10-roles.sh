#!/usr/bin/env bash
# First start of the warehouse container (docker-entrypoint-initdb.d, empty volume only): the pipeline's
# owner role and database, and the read-only `bi_reader` role that sees schema `mart` and nothing else.
# Safe to run again by hand: `docker compose exec warehouse /docker-entrypoint-initdb.d/10-roles.sh`.
set -euo pipefail

: "${WAREHOUSE_PASSWORD:?WAREHOUSE_PASSWORD is not set}"
: "${BI_READER_PASSWORD:?BI_READER_PASSWORD is not set}"
owner="${WAREHOUSE_USER:-campaign}"
db="${WAREHOUSE_DB:-campaign}"
reader="${BI_READER_USER:-bi_reader}"

psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "${POSTGRES_USER:-postgres}"
      -v owner="$owner" -v db="$db" -v reader="$reader")

# Passwords travel as psql variables and are quoted by format(%L), never pasted into the SQL text.
"${psql[@]}" --dbname postgres -v owner_password="$WAREHOUSE_PASSWORD" \
  -v reader_password="$BI_READER_PASSWORD" <<'SQL'
select format('create role %I', :'owner') where not exists (select from pg_roles where rolname = :'owner') \gexec
select format('alter role %I login password %L', :'owner', :'owner_password') \gexec
select format('create role %I', :'reader') where not exists (select from pg_roles where rolname = :'reader') \gexec
select format('alter role %I login password %L', :'reader', :'reader_password') \gexec
-- BI tools only read; land them in mart so unqualified view names work.
select format('alter role %I set default_transaction_read_only = on', :'reader') \gexec
select format('alter role %I set search_path = mart', :'reader') \gexec
select format('create database %I owner %I', :'db', :'owner')
 where not exists (select from pg_database where datname = :'db') \gexec
select format('revoke all on database %I from public', :'db') \gexec
select format('grant connect on database %I to %I', :'db', :'reader') \gexec
SQL

# The owner creates every schema (etl.warehouse bootstrap); mart exists already so that its default
# privileges can be set here: each view the owner creates later is readable by the reader at once.
"${psql[@]}" --dbname "$db" <<'SQL'
revoke create on schema public from public;
select format('create schema if not exists mart authorization %I', :'owner') \gexec
select format('grant usage on schema mart to %I', :'reader') \gexec
select format('grant select on all tables in schema mart to %I', :'reader') \gexec
select format('alter default privileges for role %I in schema mart grant select on tables to %I',
              :'owner', :'reader') \gexec
SQL

echo "warehouse roles ready: owner ${owner}, reader ${reader}, database ${db}"
