"""E-mail through the outbox against a real SMTP server on loopback (aiosmtpd): delivery,
content without personal data for staff, and an outage during the request (delivered once,
after the server is back)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.cli import cli
from buergergis.services import mail
from buergergis.settings import Settings
from tests.admin_support import Staff, editor, login_session  # noqa: F401
from tests.anfragen_support import (
    SmtpServer,
    clear_requests,
    first_where,
    free_port,
    generous,  # noqa: F401
    smtp_server,  # noqa: F401
    submit,
)

pytestmark = pytest.mark.usefixtures("demo_layers", "generous")
STAFF = "forst@hameln.example"
CITIZEN = "erika@example.de"


def _pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM buergergis.mail_outbox WHERE sent_at IS NULL")
            ).scalar_one()
        )


def _make_due(engine: Engine) -> None:
    """Let the backoff pass (what waiting would do)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE buergergis.mail_outbox SET next_attempt_at = now()"))


def test_staff_and_citizen_get_their_mails(
    client: FlaskClient,
    engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    clear_requests(engine)
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    assert submit(client, "holzverkauf", fid, name="Erika Geheimname").status_code == 303
    report = mail.send_due(engine, mail.MailSettings(smtp_server.url, "rathaus@hameln.example"))
    assert report.sent == 2 and _pending(engine) == 0
    staff, citizen = smtp_server.inbox.to(STAFF), smtp_server.inbox.to(CITIZEN)
    assert len(staff) == 1 and len(citizen) == 1
    staff_body = staff[0].get_payload(decode=True).decode()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, reference FROM buergergis.anfrage")).one()
    assert (
        row.reference in staff[0]["Subject"] and f"/admin/dienste/anfragen/{row.id}" in staff_body
    )
    assert "Erika" not in staff_body + staff[0]["Subject"] and CITIZEN not in staff_body
    citizen_body = citizen[0].get_payload(decode=True).decode()
    assert row.reference in citizen_body and "Kennwort" in citizen_body
    assert staff[0]["From"] == "rathaus@hameln.example"
    assert mail.send_due(engine, mail.MailSettings(smtp_server.url)).sent == 0  # nothing twice


def test_smtp_down_during_the_request_then_delivered_once(
    client: FlaskClient, engine: Engine
) -> None:
    clear_requests(engine)
    server = SmtpServer(free_port())  # not started: the port refuses connections
    settings = mail.MailSettings(server.url)
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    assert submit(client, "holzverkauf", fid).status_code == 303  # the request is not refused
    down = mail.send_due(engine, settings)
    assert down.sent == 0 and down.failed >= 1 and _pending(engine) == 2
    with engine.connect() as conn:
        waits = conn.execute(
            text("SELECT bool_and(next_attempt_at > now()) FROM buergergis.mail_outbox")
        ).scalar_one()
    assert waits  # backoff: the next attempt is later
    server.start()
    try:
        assert mail.send_due(engine, settings).sent == 0  # not due yet
        _make_due(engine)
        assert mail.send_due(engine, settings).sent == 2
        _make_due(engine)
        assert mail.send_due(engine, settings).sent == 0
        assert len(server.inbox.to(STAFF)) == 1 and len(server.inbox.to(CITIZEN)) == 1
    finally:
        server.stop()


def test_without_smtp_the_outbox_keeps_the_mails(
    client: FlaskClient, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    editor: Staff,  # noqa: F811
) -> None:  # fmt: skip
    clear_requests(engine)
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    assert submit(client, "holzverkauf", fid, name="Olga Outbox").status_code == 303
    assert mail.send_due(engine, mail.MailSettings(None)).sent == 0 and _pending(engine) == 2
    monkeypatch.delenv(mail.URL_VAR, raising=False)
    staff = login_session(client, editor)
    overview = staff.get("/admin/dienste/").get_data(as_text=True)
    assert (
        "kein SMTP-Server eingerichtet" in overview and 'data-testid="outbox-count">2<' in overview
    )
    outbox_page = staff.get("/admin/dienste/postausgang").get_data(as_text=True)
    assert outbox_page.count("data-mail=") == 2 and "forst@hameln.example" in outbox_page
    assert "erika@example.de" not in outbox_page and "Olga" not in outbox_page
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    result = CliRunner().invoke(cli, ["mail", "send"])
    assert result.exit_code != 0 and "BUERGERGIS_SMTP_URL" in result.output
    assert _pending(engine) == 2


def test_cli_sender_delivers(
    client: FlaskClient, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:  # fmt: skip
    clear_requests(engine)
    fid = first_where(engine, "holzverkauf", "status = 'frei'")
    assert submit(client, "holzverkauf", fid).status_code == 303
    monkeypatch.setenv(mail.URL_VAR, smtp_server.url)
    monkeypatch.setenv(mail.FROM_VAR, "rathaus@hameln.example")
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    result = CliRunner().invoke(cli, ["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "2 gesendet" in result.output and len(smtp_server.inbox.messages) == 2


def test_smtp_url_is_checked() -> None:
    with pytest.raises(Exception, match="smtp://"):
        mail.MailSettings.from_env({mail.URL_VAR: "http://mail.example"})
    target = mail.parse_url("smtp://user:p%40ss@mail.example:587")
    assert (target.host, target.port, target.user, target.password) == (
        "mail.example", 587, "user", "p@ss",
    )  # fmt: skip
    assert mail.backoff(1) == 60 and mail.backoff(2) == 120 and mail.backoff(30) == mail.MAX_BACKOFF
