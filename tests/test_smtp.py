"""Sending against a real SMTP server on loopback: STARTTLS and AUTH, refusals, an outage, no header injection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import DeliveryRow, MessageRow
from db.session import transaction
from monitor.app import App
from notifications.digest import MAX_PER_GROUP, Digest, Item, Letterhead, build_message
from tests.conftest import d
from tests.helpers import write_roster
from tests.mailserver import PASSWORD, USER, MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = d("2027-01-11")   # the 2026 reports of nmg-sme-draft clusters are 58 days away: lead:60 crossed


def _app(tmp_path: Path, database_url: str, smtp: str, monkeypatch: pytest.MonkeyPatch) -> App:
    app = make_app(tmp_path, database_url, '[general]\nadministrators = ["admin@example.gov.cn"]\n' + smtp,
                   monkeypatch)
    roster = write_roster(
        tmp_path / "roster.csv",
        "A,Alpha,nmg-sme-draft,2024-03-15,,,a-op@example.cn,a-bureau@example.gov.cn,,",
        "B,Beta,nmg-sme-draft,2024-03-15,,,b-op@example.cn,b-bureau@example.gov.cn,,",
    )
    load_roster(app, roster)
    return app


def _states(app: App) -> dict[str, str]:
    with transaction(app.sessions) as session:
        return dict(session.execute(select(MessageRow.recipient, MessageRow.state)).all())


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path, starttls=True).start()
    yield server
    server.stop()


def test_starttls_and_auth_with_the_password_from_the_environment(
        tmp_path: Path, database_url: str, tls_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", PASSWORD)
    app = _app(tmp_path, database_url, tls_server.config("starttls", f'username = "{USER}"\n'), monkeypatch)
    counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
    assert counts["sent"] == 3      # the two bureaus (reports notify the bureau) and the administrator
    received = tls_server.received
    assert sorted(r.recipients[0] for r in received) == ["a-bureau@example.gov.cn", "admin@example.gov.cn",
                                                         "b-bureau@example.gov.cn"]
    assert all(r.tls and r.user == USER for r in received)
    assert set(_states(app).values()) == {"sent"}
    app.close()


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = MailServer(tmp_path).start()
    try:
        app = _app(tmp_path, database_url, plain.config("starttls"), monkeypatch)
        counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
        assert counts["sent"] == 0 and counts["retry"] == 3
        assert plain.received == []
        assert set(_states(app).values()) == {"retry"}
        app.close()
    finally:
        plain.stop()


def test_refused_recipients_are_failed_not_sent(tmp_path: Path, database_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server = MailServer(tmp_path, refuse={"b-bureau@example.gov.cn"}).start()
    try:
        app = _app(tmp_path, database_url, server.config(), monkeypatch)
        counts = daemon(app, Clock(at(DAY))).digest_tick(day=DAY)
        assert counts == {"sent": 2, "failed": 1, "retry": 0, "skipped": 0}
        states = _states(app)
        assert states.pop("b-bureau@example.gov.cn") == "failed"
        assert set(states.values()) == {"sent"}
        with transaction(app.sessions) as session:
            failed = session.execute(select(DeliveryRow.state).where(
                DeliveryRow.recipient == "b-bureau@example.gov.cn")).scalars().all()
            error = session.execute(select(MessageRow.error).where(
                MessageRow.recipient == "b-bureau@example.gov.cn")).scalar()
        assert set(failed) == {"failed"} and error is not None and error.startswith("550")
        app.close()
    finally:
        server.stop()


def test_a_server_that_is_down_and_comes_back_gets_each_message_once(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    server = MailServer(tmp_path)          # not started: connections are refused
    app = _app(tmp_path, database_url, server.config(), monkeypatch)
    clock = Clock(at(DAY))
    run = daemon(app, clock)
    assert run.digest_tick(day=DAY)["retry"] == 3
    server.start()
    try:
        assert run.resend() == {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}   # not due for a retry yet
        clock.value += dt.timedelta(minutes=2)
        assert run.resend()["sent"] == 3
        clock.value += dt.timedelta(hours=2)
        assert run.resend()["sent"] == 0
        run.digest_tick(day=DAY)               # the same day again: nothing new is owed
        assert sorted(r.recipients[0] for r in server.received) == ["a-bureau@example.gov.cn",
                                                                   "admin@example.gov.cn", "b-bureau@example.gov.cn"]
        assert len({r.message["Message-ID"] for r in server.received}) == 3
    finally:
        server.stop()
        app.close()


def test_no_header_can_be_injected_and_html_is_escaped() -> None:
    evil = "Evil\r\nBcc: victim@example.com\r\n<script>alert(1)</script>"
    item = Item("overdue", "X-1\r\nBcc: a@b.c", evil, "annual report on 2025", d("2026-03-10"), -5,
                "第十二条", None, False)
    digest = Digest()
    digest.add(item)
    message = build_message(Letterhead("monitor@example.gov.cn"), "admin@example.gov.cn", digest, DAY, "en",
                            dt.datetime(2027, 1, 11, tzinfo=dt.UTC))
    raw = message.as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "Bcc" not in headers and "victim" not in headers
    assert [key for key in message if key.lower() == "to"] == ["To"]
    html = message.get_body(("html",))
    assert html is not None
    content = html.get_content()  # type: ignore[attr-defined]
    assert "&lt;script&gt;" in content and "<script>" not in content


def test_a_digest_keeps_the_most_urgent_items_and_counts_the_rest() -> None:
    digest = Digest()
    for n in range(1000):
        digest.add(Item("overdue", f"C{n:04d}", "x", "report", DAY, -n, "第十二条", None, n == 3))
    assert len(digest) == 1000 and len(digest.items) <= 4 * MAX_PER_GROUP * 6
    message = build_message(Letterhead("monitor@example.gov.cn"), "admin@example.gov.cn", digest, DAY, "en",
                            dt.datetime(2027, 1, 11, tzinfo=dt.UTC))
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "1000 items" in str(message["Subject"]) and "sent late" in str(message["Subject"])
    assert "C0999" in text and "C0000" not in text          # the most overdue first
    assert f"{1000 - MAX_PER_GROUP} more not listed" in text
