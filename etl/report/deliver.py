"""Deliver a built report: the archive folder per week, and one e-mail through an SMTP connection."""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from etl.config import ConfigError, SourceConfig

if TYPE_CHECKING:
    from etl.report import ReportResult

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENDER_NAME = "创文办数据平台"


class DeliveryError(RuntimeError):
    """The SMTP server refused the message or some of its recipients."""


def archive_folder(out_dir: Path, week_label: str) -> Path:
    """`<out_dir>/<year>-W<week>/`, created if missing."""
    folder = Path(out_dir) / week_label
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def compose_message(result: ReportResult, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The e-mail: subject with the week, the summary as HTML (plain-text alternative), XLSX and HTML attached."""
    msg = EmailMessage()
    msg["Subject"] = result.subject
    msg["From"] = formataddr((SENDER_NAME, sender))
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(result.summary_text)
    msg.add_alternative(result.summary_html, subtype="html")
    for path in result.files:
        maintype, subtype = (XLSX_TYPE if path.suffix == ".xlsx" else
                             mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send_weekly_report(result: ReportResult, smtp: SourceConfig, recipients: list[str]) -> str:
    """Send one e-mail with the report to `recipients`; returns its Message-ID.

    Connection options come from the SMTP connection: host, port, login, password and, in `extra`,
    `from_email`, `ssl` (SMTP over TLS, default on port 465), `starttls`, `timeout` (seconds). Airflow's
    `disable_ssl` / `disable_tls` are read too when `ssl` / `starttls` are absent.
    """
    recipients = [r.strip() for r in recipients if r and r.strip()]
    if not recipients:
        raise ConfigError("no recipients for the weekly report (CAMPAIGN_REPORT_RECIPIENTS)")
    if not smtp.host:
        raise ConfigError(f"connection {smtp.conn_id!r} has no host")
    extra = smtp.extra or {}
    sender = extra.get("from_email") or smtp.login
    if not sender or "@" not in sender:
        raise ConfigError(f"connection {smtp.conn_id!r} needs extra.from_email (or a login that is an address)")
    use_ssl = _flag(extra, "ssl", default=not _flag(extra, "disable_ssl", default=smtp.port != 465))
    use_starttls = _flag(extra, "starttls", default=not _flag(extra, "disable_tls", default=True))
    timeout = float(extra.get("timeout", 30))
    port = smtp.port or (465 if use_ssl else 25)

    msg = compose_message(result, sender, recipients)
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
