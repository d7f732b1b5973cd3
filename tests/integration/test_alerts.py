"""Failure alerts reach a real webhook and a real SMTP server on 127.0.0.1; a dead endpoint is only logged."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from etl.alerts import send_failure_alert
from etl.config import SourceConfig

FAILURE = {"dag_id": "ingest_hotline", "task_id": "pull_validate_load", "run_id": "scheduled__x",
           "try_number": 3, "error": "SourceError: hotline_api http://127.0.0.1/api/v1/tickets: 503"}


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    messages = []

    class Collect(Message):
        def handle_message(self, message):
            messages.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield SourceConfig("smtp_default", conn_type="smtp", host="127.0.0.1", port=port,
                       extra={"from_email": "pipeline@example.org", "starttls": False}), messages
    controller.stop()


def test_alert_goes_to_the_webhook_and_by_email(webhook, smtp_server) -> None:
    url, received = webhook
    smtp, messages = smtp_server
    delivered = send_failure_alert(FAILURE, webhook=url, emails=["ops@example.org"], smtp=smtp)
    assert delivered == ["webhook", "email"]
    assert received == [FAILURE]
    assert len(messages) == 1 and "ingest_hotline.pull_validate_load" in messages[0]["Subject"]
    assert "503" in messages[0].get_payload()


def test_an_unreachable_webhook_is_logged_not_raised(caplog) -> None:
    delivered = send_failure_alert(FAILURE, webhook="http://127.0.0.1:9/nothing-listens")
    assert delivered == []
    assert "not delivered" in caplog.text
