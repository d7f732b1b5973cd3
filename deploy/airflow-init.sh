#!/usr/bin/env bash
# One-shot set-up run by the airflow-init service (as root, like Airflow's own init): host folders,
# metadata database, the admin login, the `warehouse` pool, and the warehouse's schemas, tables and
# views. Every step is idempotent, so it runs on each `docker compose up`.
set -euo pipefail
# Root must not leave __pycache__ folders it owns in the bind-mounted code of the host checkout.
export PYTHONDONTWRITEBYTECODE=1

home="${AIRFLOW_HOME:-/opt/airflow}"
uid="${AIRFLOW_UID:-50000}"
slots="${CAMPAIGN_WAREHOUSE_POOL_SLOTS:-4}"
passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$home/auth/passwords.json}"
data_dirs=("$home/logs" "$home/drop/inspections" "$home/reports" "$home/var" "$(dirname "$passwords_file")")

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'airflow-init: %s\n' "$*" >&2; exit 1; }

step "Settings"
# .env.example ships "change-me" placeholders; starting with one would, e.g., hash callers with a known salt.
for name in AIRFLOW_ADMIN_PASSWORD CAMPAIGN_PII_SALT AIRFLOW__CORE__FERNET_KEY AIRFLOW__DATABASE__SQL_ALCHEMY_CONN \
            AIRFLOW__API_AUTH__JWT_SECRET AIRFLOW__API__SECRET_KEY CAMPAIGN_WAREHOUSE_URL; do
  value="${!name:-}"
  [[ -n "$value" ]] || fail "$name is empty: set it in .env"
  [[ "$value" != *change-me* ]] || fail "$name still holds the change-me placeholder from .env.example"
done
for name in AIRFLOW_CONN_HOTLINE_API AIRFLOW_CONN_EVENTS_API AIRFLOW_CONN_INSPECTIONS_DROP AIRFLOW_CONN_SMTP_DEFAULT; do
  if [[ "${!name:-}" == *change-me* ]]; then
    echo "WARNING: $name still holds a change-me placeholder; its DAG will fail until it is filled in"
  fi
done
[[ "$slots" =~ ^[1-9][0-9]*$ ]] || fail "CAMPAIGN_WAREHOUSE_POOL_SLOTS must be a positive integer, not '$slots'"
if [[ "$uid" == 0 ]]; then
  echo "WARNING: AIRFLOW_UID is 0, so files in the host folders will belong to root; set AIRFLOW_UID=\$(id -u) in .env"
fi

step "Host folders under $home, owned by $uid:0"
mkdir -p "${data_dirs[@]}"
# Hand the folders over even when a later step fails (files root wrote must not block the workers).
trap 'chown -R "$uid:0" "${data_dirs[@]}"' EXIT
chown -R "$uid:0" "${data_dirs[@]}"

step "Airflow $(airflow version)"

step "Metadata database"
airflow db migrate

step "Admin login (${AIRFLOW_ADMIN_USERNAME:-admin})"
# SimpleAuthManager reads plain passwords from this file and generates one for any user missing from
# it; keep the entries of other users and set the admin's from .env.
PASSWORDS_FILE="$passwords_file" python - <<'PY'
import json
import os
import pathlib

path = pathlib.Path(os.environ["PASSWORDS_FILE"])
passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
passwords[os.environ.get("AIRFLOW_ADMIN_USERNAME") or "admin"] = os.environ["AIRFLOW_ADMIN_PASSWORD"]
tmp = path.with_suffix(".tmp")
tmp.write_text(json.dumps(passwords) + "\n")
tmp.chmod(0o660)
tmp.replace(path)
PY

step "Pool warehouse ($slots slots)"
airflow pools set warehouse "$slots" "Tasks that write to the warehouse"

step "Warehouse schemas, tables and views"
python -m etl.warehouse bootstrap

step "Done"
