#!/usr/bin/env bash
# Writes .env from .env.example with fresh random secrets and your user id; the credentials of the
# sources and the mail server (the change-me values inside AIRFLOW_CONN_*) are left for you to fill in.
# Usage: deploy/make-env.sh [target]   (default: .env next to .env.example; never overwritten)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$root/.env}"
if [[ -e "$target" ]]; then
  echo "$target exists; not overwriting it" >&2
  exit 1
fi

uid="$(id -u)"
# Root's files would be unreadable to the containers' user; keep the image's default then.
[[ "$uid" == 0 ]] && uid=50000

umask 077
while IFS= read -r line || [[ -n "$line" ]]; do
  if [[ "$line" =~ ^([A-Z0-9_]+)=change-me ]]; then
    name="${BASH_REMATCH[1]}"
    if [[ "$name" == AIRFLOW_FERNET_KEY ]]; then
      # A Fernet key is 32 random bytes in URL-safe base64.
      value="$(openssl rand -base64 32 | tr '+/' '-_')"
    else
      # Hex only: these values are pasted into database URLs.
      value="$(openssl rand -hex 32)"
    fi
    line="$name=$value"
  elif [[ "$line" =~ ^AIRFLOW_UID= ]]; then
    line="AIRFLOW_UID=$uid"
  fi
  printf '%s\n' "$line"
done <"$root/.env.example" >"$target"

echo "wrote $target (mode 600). Still to fill in:"
grep -n '^[^#].*change-me' "$target" || echo "  nothing"
