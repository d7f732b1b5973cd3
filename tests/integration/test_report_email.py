"""The weekly report e-mail through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import json
import shutil
import smtplib
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from etl import warehouse
from etl.config import ConfigError, SourceConfig
from etl.report import ReportResult, build_weekly_report, load_result, send_weekly_report
from etl.report.deliver import DeliveryError
from tests.integration.test_weekly_report import FIRST_ISSUE, WEEK, populate

SENDER = "report@cwb.example.cn"
RECIPIENTS = ["office@cwb.example.cn", "leader@cwb.example.cn"]


class Inbox:
    """Keeps every message the server accepts; refuses recipients at `blocked.example`."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@blocked.example"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                               getattr(session, "authenticated", False)))
        return "250 Message accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"bot", b"s3cret")
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    folder = tmp_path_factory.mktemp("report")
    engine = warehouse.create_engine(f"duckdb:///{folder / 'warehouse.duckdb'}")
    try:
        warehouse.bootstrap(engine)
        populate(engine)
        return build_weekly_report(engine, WEEK.week_start, folder / "reports", published_at=FIRST_ISSUE)
    finally:
        engine.dispose()


def smtp_config(port: int, **extra) -> SourceConfig:
    return SourceConfig(conn_id="smtp_default", conn_type="smtp", host="127.0.0.1", port=port,
                        extra={"from_email": SENDER, "starttls": False, "ssl": False, **extra})


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_one_message_with_the_week_summary_and_the_report_files(smtp_server, report: ReportResult) -> None:
    inbox, port = smtp_server
    message_id = send_weekly_report(report, smtp_config(port), RECIPIENTS)

    assert len(inbox.envelopes) == 1
    mail_from, rcpt_tos, raw, _ = inbox.envelopes[0]
    assert mail_from == SENDER and rcpt_tos == RECIPIENTS
    msg = parsed(raw)
    assert msg["Message-ID"] == message_id
    assert msg["Subject"] == "创文工作周报 2026年第46周 (11月9日—11月15日)"
    assert SENDER in msg["From"] and "创文办" in msg["From"]
    assert [a.strip() for a in msg["To"].split(",")] == RECIPIENTS

    body = msg.get_body(preferencelist=("html",)).get_content()
    assert "累计发现" in body and "整改率" in body and "红榜" in body and "黑榜" in body
    headline = f"累计发现{int(report.figures['total.n_found_cumulative'])}条"
    assert headline in body
    assert headline in msg.get_body(preferencelist=("plain",)).get_content()

    attachments = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(attachments) == {"创文周报_2026-W46.xlsx", "创文周报_2026-W46.pdf", "创文周报_2026-W46.html"}
    assert "创文周报_2026-W46.pdf" in body  # the summary lists the attachments
    xlsx = attachments["创文周报_2026-W46.xlsx"]
    assert xlsx.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.get_content() == report.xlsx_path.read_bytes()
    html = attachments["创文周报_2026-W46.html"]
    assert html.get_content_type() == "text/html"
    assert html.get_payload(decode=True) == report.html_path.read_bytes()
    pdf = attachments["创文周报_2026-W46.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content() == report.pdf_path.read_bytes()


def test_login_and_resend_from_the_archive(smtp_server, report: ReportResult) -> None:
    inbox, port = smtp_server
    archived = load_result(report.directory)
    config = SourceConfig(conn_id="smtp_default", conn_type="smtp", host="127.0.0.1", port=port, login="bot",
                          password="s3cret", extra={"from_email": SENDER, "starttls": "false"})
    send_weekly_report(archived, config, ["office@cwb.example.cn"])
    _, rcpt_tos, raw, authenticated = inbox.envelopes[0]
    assert authenticated and rcpt_tos == ["office@cwb.example.cn"]
    assert parsed(raw)["Subject"] == report.subject


def test_resend_an_archive_from_before_the_pdf(smtp_server, report: ReportResult, tmp_path: Path) -> None:
    """Weeks archived before the report had a PDF resend with the files they have."""
    inbox, port = smtp_server
    old = shutil.copytree(report.directory, tmp_path / report.directory.name)
    (old / report.pdf_path.name).unlink()
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del manifest["pdf"]
    (old / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    archived = load_result(old)
    assert archived.pdf_path is None
    send_weekly_report(archived, smtp_config(port), RECIPIENTS)
    names = {part.get_filename() for part in parsed(inbox.envelopes[0][2]).iter_attachments()}
    assert names == {"创文周报_2026-W46.xlsx", "创文周报_2026-W46.html"}


def test_wrong_password_is_an_error(smtp_server, report: ReportResult) -> None:
    _, port = smtp_server
    config = SourceConfig(conn_id="smtp_default", host="127.0.0.1", port=port, login="bot", password="wrong",
                          extra={"from_email": SENDER})
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send_weekly_report(report, config, RECIPIENTS)


def test_a_refused_recipient_is_reported(smtp_server, report: ReportResult) -> None:
    inbox, port = smtp_server
    with pytest.raises(DeliveryError, match="nobody@blocked.example"):
        send_weekly_report(report, smtp_config(port), ["office@cwb.example.cn", "nobody@blocked.example"])
    assert inbox.envelopes[0][1] == ["office@cwb.example.cn"]


def test_missing_settings_are_clear(report: ReportResult, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="recipients"):
        send_weekly_report(report, smtp_config(25), [])
    with pytest.raises(ConfigError, match="from_email"):
        send_weekly_report(report, SourceConfig(conn_id="smtp_default", host="127.0.0.1", port=25), RECIPIENTS)
