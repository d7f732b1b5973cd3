"""Tell operators a task failed: a JSON POST to a webhook and/or an e-mail, as configured."""

from __future__ import annotations

import json
import logging
import urllib.request
from email.message import EmailMessage

from etl import mail
from etl.config import SourceConfig

log = logging.getLogger(__name__)


def send_failure_alert(
    failure: dict, *, webhook: str | None = None, emails: list[str] | None = None, smtp: SourceConfig | None = None
) -> list[str]:
    """Deliver `failure` (dag_id, task_id, run_id, try_number, error) everywhere configured; returns where.

    An alert that cannot be delivered is logged, never raised: it must not hide the failure it reports.
    """
    delivered = []
    if webhook:
        request = urllib.request.Request(webhook, data=json.dumps(failure, ensure_ascii=False).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            urllib.request.urlopen(request, timeout=10).close()
            delivered.append("webhook")
        except OSError as exc:
            log.warning("failure alert to the webhook not delivered: %s", exc)
    if emails and smtp is not None:
        try:
            mail.send(smtp, emails, lambda sender, to: _alert_message(failure, sender, to))
            delivered.append("email")
        except (OSError, mail.DeliveryError, ValueError) as exc:
            log.warning("failure alert e-mail not delivered: %s", exc)
    return delivered


def _alert_message(failure: dict, sender: str, recipients: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"[创文数据] 任务失败 / task failed: {failure.get('dag_id')}.{failure.get('task_id')}"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg.set_content("\n".join(f"{key}: {value}" for key, value in failure.items()))
    return msg
