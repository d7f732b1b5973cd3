"""Deliver a built report: the archive folder per week, and one e-mail through an SMTP connection."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from etl import mail
from etl.config import ConfigError, SourceConfig
from etl.mail import DeliveryError

if TYPE_CHECKING:
    from etl.report import ReportResult

__all__ = ["DeliveryError", "archive_folder", "compose_message", "send_weekly_report"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENDER_NAME = "创文办数据平台"


def archive_folder(out_dir: Path, week_label: str) -> Path:
    """`<out_dir>/<year>-W<week>/`, created if missing."""
    folder = Path(out_dir) / week_label
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def compose_message(result: ReportResult, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The e-mail: subject with the week, the summary as HTML (plain-text alternative), the report's files attached."""
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
    """Send one e-mail with the report to `recipients` through `smtp`; returns its Message-ID."""
    if not [r for r in recipients if r and r.strip()]:
        raise ConfigError("no recipients for the weekly report (CAMPAIGN_REPORT_RECIPIENTS)")
    return mail.send(smtp, recipients, lambda sender, to: compose_message(result, sender, to))
