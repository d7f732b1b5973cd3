"""Send an e-mail through an SMTP connection (the report and failure alerts share this)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from etl.config import ConfigError, SourceConfig


class DeliveryError(RuntimeError):
    """The SMTP server refused the message or some of its recipients."""


def sender_of(smtp: SourceConfig) -> str:
    """The From address: extra.from_email, else a login that is an address."""
    sender = (smtp.extra or {}).get("from_email") or smtp.login
    if not sender or "@" not in sender:
        raise ConfigError(f"connection {smtp.conn_id!r} needs extra.from_email (or a login that is an address)")
    return sender


def send(smtp: SourceConfig, recipients: Sequence[str], compose: Callable[[str, list[str]], EmailMessage]) -> str:
    """Compose (given sender and recipients) and send one message; returns its Message-ID.

    Connection options: host, port, login, password and, in `extra`, `from_email`, `ssl` (SMTP over TLS,
    default on port 465), `starttls`, `timeout` (seconds). Airflow's `disable_ssl` / `disable_tls` are read
    too when `ssl` / `starttls` are absent.
    """
    recipients = [r.strip() for r in recipients if r and r.strip()]
    if not recipients:
        raise ConfigError("no recipients")
    if not smtp.host:
        raise ConfigError(f"connection {smtp.conn_id!r} has no host")
    extra = smtp.extra or {}
    sender = sender_of(smtp)
    use_ssl = _flag(extra, "ssl", default=not _flag(extra, "disable_ssl", default=smtp.port != 465))
    use_starttls = _flag(extra, "starttls", default=not _flag(extra, "disable_tls", default=True))
    timeout = float(extra.get("timeout", 30))
    port = smtp.port or (465 if use_ssl else 25)

    msg = compose(sender, recipients)
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(smtp.host, port, timeout=timeout, context=context) if use_ssl
              else smtplib.SMTP(smtp.host, port, timeout=timeout))
    with client:
        if use_starttls and not use_ssl:
            client.starttls(context=context)
        if smtp.login and smtp.password is not None:
            client.login(smtp.login, smtp.password)
        refused = client.send_message(msg, from_addr=sender, to_addrs=recipients)
    if refused:
        raise DeliveryError(f"the SMTP server refused {len(refused)} recipient(s): {', '.join(sorted(refused))}")
    return msg["Message-ID"]


def _flag(extra: dict, key: str, *, default: bool) -> bool:
    """A boolean from a connection's extra, where URI-form connections give strings."""
    value = extra.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")
