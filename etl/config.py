"""Settings from the environment, read when called (never at import)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_TZ = "Asia/Shanghai"


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class SourceConfig:
    """What a connector needs from an Airflow connection: where, who, and options from `extra`."""

    conn_id: str
    conn_type: str = "http"
    host: str | None = None
    port: int | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The HTTP base URL; `schema` is the scheme, as in Airflow's HTTP connections."""
        if not self.host:
            raise ConfigError(f"connection {self.conn_id!r} has no host")
        if "://" in self.host:
            return self.host.rstrip("/")
        port = f":{self.port}" if self.port else ""
        return f"{self.schema or 'http'}://{self.host}{port}"

    @classmethod
    def parse(cls, conn_id: str, value: str) -> SourceConfig:
        """Parse an `AIRFLOW_CONN_*` value: Airflow's JSON form or its URI form."""
        value = value.strip()
        if value.startswith("{"):
            data = json.loads(value)
            extra = data.get("extra") or {}
            return cls(
                conn_id=conn_id,
                conn_type=data.get("conn_type", "http"),
                host=data.get("host"),
                port=int(data["port"]) if data.get("port") else None,
                schema=data.get("schema"),
                login=data.get("login"),
                password=data.get("password"),
                extra=json.loads(extra) if isinstance(extra, str) else dict(extra),
            )
        parts = urlsplit(value)
        extra = dict(parse_qsl(parts.query))
        if "__extra__" in extra:
            extra = json.loads(extra["__extra__"])
        path = unquote(parts.path.lstrip("/")) or None
        return cls(
            conn_id=conn_id,
            conn_type=parts.scheme.replace("-", "_"),
            host=unquote(parts.hostname) if parts.hostname else None,
            port=parts.port,
            schema=path,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            extra=extra,
        )


def source_config(conn_id: str) -> SourceConfig:
    """Read connection `conn_id` from `AIRFLOW_CONN_<CONN_ID>` (outside Airflow, e.g. in tests)."""
    var = f"AIRFLOW_CONN_{conn_id.upper()}"
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"connection {conn_id!r} is not configured: set {var}")
    return SourceConfig.parse(conn_id, value)


def var_dir() -> Path:
    """Where local state lives: the embedded warehouse, reports, Data Docs, Airflow's home."""
    return Path(os.environ.get("CAMPAIGN_VAR_DIR", REPO_ROOT / "var"))


def warehouse_url() -> str:
    """SQLAlchemy URL of the warehouse; the embedded DuckDB file by default."""
    return os.environ.get("CAMPAIGN_WAREHOUSE_URL") or f"duckdb:///{var_dir() / 'warehouse.duckdb'}"


def duckdb_memory_limit() -> str:
    """DuckDB's buffer pool per process (its default is 80% of RAM: it would keep every block it writes).

    Primary-key (ART) indexes cannot be evicted and count against it, about 75 bytes per hotline version:
    only warehouses created before raw and staging lost their key indexes still have them.
    """
    return os.environ.get("CAMPAIGN_DUCKDB_MEMORY_LIMIT", "512MB")


def postgres_build_sessions() -> int:
    """Connections a full PostgreSQL build writes its core tables in side by side (each table is one session's
    statement; PostgreSQL runs each on a core of its own). 1 builds them one after the other."""
    value = os.environ.get("CAMPAIGN_POSTGRES_BUILD_SESSIONS", "2")
    try:
        sessions = int(value)
    except ValueError:
        sessions = 0
    if sessions < 1:
        raise ConfigError(f"CAMPAIGN_POSTGRES_BUILD_SESSIONS must be a whole number >= 1, not {value!r}")
    return sessions


def reference_dir() -> Path:
    """The reference set (areas, categories, departments, ...): another city is another folder."""
    return Path(os.environ.get("CAMPAIGN_REFERENCE_DIR", REPO_ROOT / "etl" / "reference" / "jiangmen"))


def pii_salt() -> str:
    """Salt for the repeat-caller hash; a secret, so it has no default."""
    salt = os.environ.get("CAMPAIGN_PII_SALT")
    if not salt:
        raise ConfigError("CAMPAIGN_PII_SALT is not set (a secret: set it from the environment or .env)")
    return salt


def campaign_start() -> date:
    """The campaign's first day: `campaign_start` (YYYYMMDD) in etl/reference/settings.csv, where the weekly
    figures also start; CAMPAIGN_START (an ISO date) overrides it for where a first pull starts."""
    if os.environ.get("CAMPAIGN_START"):
        return date.fromisoformat(os.environ["CAMPAIGN_START"])
    import csv

    with open(REPO_ROOT / "etl" / "reference" / "settings.csv", encoding="utf-8") as handle:
        value = {row["key"]: row["value"] for row in csv.DictReader(handle)}["campaign_start"]
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def max_quarantine_share() -> float:
    """Above this share of quarantined rows a batch is rejected whole."""
    return float(os.environ.get("CAMPAIGN_MAX_QUARANTINE_SHARE", "0.2"))


def report_dir() -> Path:
    """The archive folder of weekly reports."""
    return Path(os.environ.get("CAMPAIGN_REPORT_DIR", var_dir() / "reports"))


def report_recipients() -> list[str]:
    """E-mail addresses of the weekly report, comma-separated in CAMPAIGN_REPORT_RECIPIENTS."""
    return [a.strip() for a in os.environ.get("CAMPAIGN_REPORT_RECIPIENTS", "").split(",") if a.strip()]
